//! [`Queue`]: first in, first out.
use std::collections::VecDeque;

use super::{queue_type, GetError, PutError, QueueShutDown, TaskDoneError};

queue_type! {
    /// A first-in, first-out queue (asyncio's `Queue`).
    ///
    /// `put`/`get` wait when the queue is full/empty and serve waiters in
    /// FIFO order; `task_done`/`join` track processing; `shutdown` stops it.
    /// Share it with `Rc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop_primitives::{PutError, Queue};
    /// # futures::executor::block_on(async {
    /// let q = Queue::new(2);
    /// q.put(1).await.unwrap();
    /// q.put_nowait(2).unwrap();
    /// assert_eq!(q.put_nowait(3), Err(PutError::Full(3)));
    /// assert_eq!(q.get().await, Ok(1));
    /// q.task_done().unwrap();
    /// assert_eq!(q.get_nowait(), Ok(2));
    /// q.task_done().unwrap();
    /// q.join().await; // everything processed
    /// # });
    /// ```
    Queue<T>, VecDeque<T>
}
