//! [`LifoQueue`]: last in, first out.
use super::{queue_type, GetError, PutError, QueueShutDown, TaskDoneError};

queue_type! {
    /// A last-in, first-out queue (asyncio's `LifoQueue`): `get` returns the
    /// most recently put item. Otherwise identical to [`Queue`](crate::Queue).
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop_primitives::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// for i in 1..=3 {
    ///     q.put_nowait(i).unwrap();
    /// }
    /// assert_eq!(q.get_nowait(), Ok(3));
    /// assert_eq!(q.get_nowait(), Ok(2));
    /// ```
    LifoQueue<T>, Vec<T>
}
