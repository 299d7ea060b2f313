//! `run`: asyncio.run.

use std::future::Future;

use super::EventLoop;
use crate::context;

/// Runs `fut` to completion on a new loop, then closes the loop
/// (asyncio's `asyncio.run`).
///
/// Closing cancels every task still alive and keeps the loop turning until
/// they — and any task their cleanup spawned — have finished, so every
/// destructor and `on_cancel` hook has run when `run` returns.
///
/// ```
/// # use evloop_core as evloop;
/// let answer = evloop::run(async {
///     let task = evloop::spawn(async { 40 });
///     task.await.unwrap() + 2
/// });
/// assert_eq!(answer, 42);
/// ```
///
/// # Panics
/// When called inside a running loop (use `.await` or `spawn` there), when
/// the OS refuses the loop's file descriptors, and when `fut` panics.
#[track_caller]
pub fn run<F: Future>(fut: F) -> F::Output {
    if context::is_running() {
        panic!(
            "evloop::run called while an event loop is already running on this thread: \
             evloop loops do not nest. Inside a task, await the future (or spawn it) instead"
        );
    }
    let lp = EventLoop::new().unwrap_or_else(|e| panic!("evloop::run could not create the event loop: {e}"));
    let output = lp.block_on(fut);
    lp.close();
    output
}
