//! [`PriorityQueue`]: smallest first.
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{queue_type, GetError, PutError, QueueShutDown, TaskDoneError};

queue_type! {
    /// A priority queue (asyncio's `PriorityQueue`): `get` returns the
    /// smallest item. Use a tuple such as `(priority, data)` to attach data.
    /// Otherwise identical to [`Queue`](crate::Queue).
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop_primitives::PriorityQueue;
    ///
    /// let q = PriorityQueue::new(0);
    /// q.put_nowait((5, "low")).unwrap();
    /// q.put_nowait((1, "urgent")).unwrap();
    /// q.put_nowait((3, "normal")).unwrap();
    /// assert_eq!(q.get_nowait(), Ok((1, "urgent")));
    /// assert_eq!(q.get_nowait(), Ok((3, "normal")));
    /// ```
    PriorityQueue<T: Ord>, BinaryHeap<Reverse<T>>
}
