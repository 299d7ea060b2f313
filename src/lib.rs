//! **evloop** — Python asyncio's programming model as a hand-written,
//! single-threaded event loop on `mio`.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn say_after(delay: Duration, what: &str) -> String {
//!     evloop::sleep(delay).await;
//!     what.to_string()
//! }
//!
//! evloop::run(async {
//!     let hello = evloop::spawn(say_after(Duration::from_millis(20), "hello"));
//!     let world = evloop::spawn(say_after(Duration::from_millis(10), "world"));
//!     let late = evloop::timeout(Duration::from_millis(5), say_after(Duration::from_secs(1), "never"));
//!     assert!(late.await.is_err());
//!     assert_eq!(hello.await.unwrap() + " " + &world.await.unwrap(), "hello world");
//! });
//! ```
//!
//! No `Send` bound anywhere on the loop thread, no global runtime: one call
//! ([`run`]) starts a loop and, when the future is done, cancels what is left
//! and closes it. See `docs/asyncio-guide.md` for the asyncio → evloop names
//! and `docs/architecture.md` for one tick, step by step.

pub use evloop_core::{
    advance, all_tasks, as_cancellation, call_at, call_later, call_soon, current_task, handle, interval, on_cancel,
    run, sleep, sleep_until, spawn, spawn_named, time, timeout, timeout_at, timeout_scope, to_thread, try_handle,
    yield_now, Builder, CallbackHandle, CancelHandle, Elapsed, EventLoop, Interval, LoopClosed, LoopHandle, RemoteTask,
    Sleep, Task, TaskError, TaskId, TaskInfo, Timeout, TimeoutScope, ToThread, YieldNow,
};

mod compose;
mod group;
mod testing;

/// Testing helpers (`run_test`: a paused clock and a leaked-task check), and
/// beside this module, in the macro namespace, the `#[evloop::test]`
/// attribute that wraps an `async fn` in them.
pub mod test {
    pub use crate::testing::{run_test, run_test_with};
}

// The `#[evloop::test]` attribute (documented in testing.rs). It shares its
// name with the module above: a macro and a module live in different namespaces.
pub use testing::test;

#[doc(hidden)]
pub use compose::__private;
pub use compose::{as_completed, gather, shield, try_gather, wait, AsCompleted, ReturnWhen, Shield};
pub use group::{task_group, ErrorGroup, TaskGroup};

/// Registering raw `mio` sources with the loop: the building block of the
/// socket types.
pub mod reactor {
    pub use evloop_core::reactor::*;
}

/// Synchronization primitives: `Lock`, `Event`, `Condition`, `Semaphore`,
/// queues and more, all single-threaded and cancellation-safe.
pub use evloop_primitives as sync;

/// `Box<dyn Error + Send + Sync>`: the error type that works with `?` and
/// with anyhow-style error types.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub mod monitor;
pub mod net;
pub mod shard;
pub mod signal;

#[cfg(feature = "hyper")]
pub mod http;
#[cfg(feature = "hyper")]
pub mod hyper;

/// The README's code blocks, compiled and run as doctests so the front page
/// never shows code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
