//! The core of [evloop](https://docs.rs/evloop): a hand-written,
//! single-threaded event loop on `mio` with Python asyncio's programming
//! model. Use it through the `evloop` facade crate, which re-exports all of
//! this.
//!
//! The folder tree is the architecture. Each subsystem owns its state
//! behind a small interface; `core.rs` only composes them, `scheduler.rs`
//! drives them one tick at a time, and `runtime/shutdown.rs` closes them.
//!
//! | module | what it holds |
//! |---|---|
//! | `scheduler.rs` | the tick, all four steps, one call each (`TickMode`) |
//! | `core.rs` | one loop's subsystems, composed (spawn, wake) |
//! | `context.rs` | which loop runs on this thread |
//! | `run_queue.rs` | what is ready to run: tasks (the main task too) and callbacks |
//! | `callback.rs` | `call_soon`, `call_later`, `call_at` |
//! | `cancel.rs` | `on_cancel`, `as_cancellation` |
//! | `trim.rs` | giving memory back once a burst is over |
//! | `task/tasks.rs` | the task subsystem: slab, cell cache, current task, refusing |
//! | `task/slab.rs` | live tasks, generations, the scheduled bit |
//! | `task/raw.rs` | the one-allocation task cell (unsafe, protocol in its doc) |
//! | `task/cell_cache.rs` | recycled cell memory |
//! | `task/address.rs` | (loop, slot, generation) and its bit layout |
//! | `task/waker.rs` | wakers that are a packed address |
//! | `task/main_task.rs` | the future of `block_on` as the task "main" (unsafe) |
//! | `task/handle.rs`, `spawn.rs`, `id.rs`, `error.rs`, `yield_now.rs` | the public task API |
//! | `timer/timers.rs` | the timer subsystem: clock, wheel, fired buffer |
//! | `timer/wheel.rs` | the hierarchical timer wheel, 1 µs ticks |
//! | `timer/clock.rs` | real or paused clock |
//! | `timer/sleep.rs`, `timeout.rs`, `interval.rs`, `scope.rs` | the time futures |
//! | `reactor/` | mio, readiness, `IoSource`, the precise-wakeup timerfd |
//! | `remote/` | the inbox other threads send to, `LoopHandle`, `RemoteTask`, `LoopClosed` |
//! | `blocking/` | the thread pool behind `to_thread` |
//! | `runtime/` | `EventLoop`, `Builder`, `run`, the close protocol (`shutdown.rs`) |
//! | `monitor/` | counters, slow polls, the stall watchdog (`watchdog.rs`, `beacon.rs`, `capture.rs`: unsafe), task snapshots, lag, the trace |

mod blocking;
mod busy_poll;
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
mod trim;

pub use blocking::{to_thread, ToThread};
pub use callback::{call_at, call_later, call_soon, CallbackHandle};
pub use cancel::{as_cancellation, on_cancel};
pub use remote::{LoopClosed, LoopHandle, RemoteTask};
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
    context::with_core("evloop::handle", |core| LoopHandle::new(core.inbox().shared().clone()))
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
    context::try_with_core(|core| LoopHandle::new(core.inbox().shared().clone()))
}
