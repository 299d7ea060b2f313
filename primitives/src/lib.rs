//! Single-threaded async synchronization primitives for evloop, re-exported
//! by the facade as `evloop::sync`.
//!
//! Python asyncio's `Lock`, `Event`, `Condition`, `Semaphore`,
//! `BoundedSemaphore`, `Barrier`, `Queue`/`LifoQueue`/`PriorityQueue`, trio's
//! `CapacityLimiter`, a sliding-window `RateLimiter`, plus a [`oneshot`],
//! an mpsc [`channel`] and a [`broadcast`] channel.
//!
//! All of them:
//!
//! * are `!Send` and `!Sync`: `Cell`/`RefCell` inside, no atomics, no locks.
//!   Share them between tasks of one loop with `Rc`;
//! * work through `&self`;
//! * serve waiters strictly first come, first served: a new `lock()` or
//!   `acquire()` queues behind existing waiters even if the resource looks
//!   free, and the resource is *handed* to the oldest waiter;
//! * are cancellation-safe: dropping a waiting future never loses a wake-up,
//!   a permit, a lock hand-off or an item — whatever had been handed to it
//!   passes on to the next waiter;
//! * use only [`std::task::Waker`] from the executor, so they work on any
//!   single-threaded executor (the examples here use `futures`' executor),
//!   except [`RateLimiter`], which needs evloop's clock.
//!
//! They are all built on one internal waiter list (`waiter_list.rs`): a slab
//! of waiters threaded by a FIFO, with O(1) removal of a dropped waiter and a
//! per-waiter hand-off payload.
#![forbid(unsafe_code)]

mod barrier;
mod bounded_semaphore;
pub mod broadcast;
mod capacity_limiter;
pub mod channel;
mod condition;
mod event;
mod lock;
pub mod oneshot;
mod queue;
mod rate_limiter;
mod semaphore;
mod waiter_list;

pub use barrier::{Barrier, BarrierWait, BrokenBarrier};
pub use bounded_semaphore::{BoundedSemaphore, SemaphoreError};
pub use capacity_limiter::{CapacityAcquire, CapacityLimiter, CapacityToken};
pub use condition::{Condition, ConditionWait};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockFuture, LockGuard};
pub use queue::{GetError, LifoQueue, PriorityQueue, PutError, Queue, QueueShutDown, TaskDoneError};
pub use rate_limiter::{RateAcquire, RateLimiter};
pub use semaphore::{Acquire, Semaphore, SemaphorePermit};
