//! The core of [evloop](https://docs.rs/evloop): a hand-written,
//! single-threaded event loop on `mio` with Python asyncio's programming
//! model. Use it through the `evloop` facade crate, which re-exports all of
//! this.
//!
//! The folder tree is the architecture:
//!
//! | file | what it holds |
//! |---|---|
//! | `scheduler.rs` | the tick: timers, remote queue, run queue, I/O |
//! | `core.rs` | the state of one loop and the operations on it |
//! | `context.rs` | which loop runs on this thread |
//! | `task/slab.rs` | live tasks, generations, the scheduled bit |
//! | `task/raw.rs` | the one-allocation task cell (unsafe, protocol in its doc) |
//! | `task/waker.rs` | wakers that pack (loop, slot, generation) in a word |
//! | `timer/wheel.rs` | the hierarchical timer wheel, 1 µs ticks |
//! | `timer/clock.rs` | real or paused clock |
//! | `reactor/` | mio, readiness, `IoSource`, the precise-wakeup timerfd |
//! | `remote/` | `LoopHandle`, the cross-thread queue, `RemoteTask` |
//! | `runtime/` | `EventLoop`, `Builder`, `run` |
//! | `monitor/` | counters and `stats()` |

mod callback;
mod cancel;
mod context;
mod core;
pub mod monitor;
pub mod reactor;
mod remote;
mod run_queue;
mod runtime;
mod scheduler;
mod task;
mod timer;

pub use callback::{call_at, call_later, call_soon, CallbackHandle};
pub use cancel::on_cancel;
pub use remote::{to_thread, LoopHandle, RemoteTask, ToThread};
pub use runtime::{run, Builder, EventLoop};
pub use task::{
    all_tasks, current_task, spawn, spawn_named, yield_now, CancelHandle, Task, TaskError, TaskId, TaskInfo, YieldNow,
};
pub use timer::{
    advance, interval, sleep, sleep_until, time, timeout, timeout_at, timeout_scope, Elapsed, Interval, Sleep, Timeout,
    TimeoutScope,
};

/// A handle to the running loop, for other threads.
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn handle() -> LoopHandle {
    context::with_core("evloop::handle", |core| LoopHandle::new(core.remote.clone()))
}

/// A handle to the loop running on this thread, or `None` outside one
/// (asyncio's `_get_running_loop()`, tokio's `Handle::try_current()`). A
/// `Drop` that wants to hand async cleanup to the loop checks this before it
/// calls `spawn`, which would panic outside a loop.
///
/// ```
/// # use evloop_core as evloop;
/// assert!(evloop::try_handle().is_none());
/// evloop::run(async { assert!(evloop::try_handle().is_some()) });
/// ```
pub fn try_handle() -> Option<LoopHandle> {
    context::try_with_core(|core| LoopHandle::new(core.remote.clone()))
}
