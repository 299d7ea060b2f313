//! `EventLoop`: owns one loop and drives it.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::Builder;
use crate::context::{self, Enter};
use crate::core::{BlockingConfig, Core};
use crate::monitor::recorder::MonitorConfig;
use crate::monitor::LoopStats;
use crate::remote::LoopHandle;
use crate::task::TaskError;

/// Rounds of "cancel everything, then run until quiet" at close before the
/// remaining futures are simply dropped.
const CLOSE_ROUNDS: usize = 64;
/// Ticks per round at close.
const CLOSE_TICKS: usize = 1024;
/// How long tasks spawned by cleanup during close may keep waiting.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// A single-threaded event loop.
///
/// Most programs call [`run`](crate::run). Build an `EventLoop` to embed a
/// loop in a program that keeps it between calls, or to choose options.
///
/// ```
/// # use evloop_core as evloop;
/// let lp = evloop::EventLoop::new().unwrap();
/// let task = lp.block_on(async { evloop::spawn(async { 5 }) });
/// // The task stays on the loop between calls.
/// assert_eq!(lp.block_on(task).unwrap(), 5);
/// lp.close();
/// ```
pub struct EventLoop {
    core: Rc<Core>,
    closed: Cell<bool>,
}

impl EventLoop {
    /// A loop with default options.
    ///
    /// # Errors
    /// If the OS refuses the loop's file descriptors.
    pub fn new() -> io::Result<EventLoop> {
        Builder::new().build()
    }

    /// Options for a new loop.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_builder(
        paused_clock: bool,
        monitor: &MonitorConfig,
        blocking: BlockingConfig,
    ) -> io::Result<EventLoop> {
        Ok(EventLoop {
            core: Core::new(paused_clock, monitor, blocking)?,
            closed: Cell::new(false),
        })
    }

    /// Runs the loop until `fut` completes and returns its output
    /// (asyncio's `run_until_complete`). Tasks spawned earlier keep their
    /// state between calls.
    ///
    /// # Panics
    /// If a loop is already running on this thread, if the loop is closed,
    /// and when `fut` panics.
    #[track_caller]
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.check_open("EventLoop::block_on");
        let _enter = Enter::new(&self.core, "EventLoop::block_on");
        let mut fut = pin!(fut);
        let waker = self.core.begin_main();
        let _main = EndMain(&self.core);
        let mut output = None;
        let mut poll_main = |cx: &mut Context<'_>| match fut.as_mut().poll(cx) {
            Poll::Ready(v) => {
                output = Some(v);
                true
            }
            Poll::Pending => false,
        };
        while !self.core.tick(Some((&mut poll_main, &waker)), true) {}
        output.expect("the main future completed")
    }

    /// Runs the loop until [`stop`](Self::stop) is called — from a task, a
    /// callback, or another thread through [`LoopHandle::stop`].
    ///
    /// # Panics
    /// If a loop is already running on this thread, or the loop is closed.
    #[track_caller]
    pub fn run_forever(&self) {
        self.check_open("EventLoop::run_forever");
        let _enter = Enter::new(&self.core, "EventLoop::run_forever");
        loop {
            self.core.tick(None, true);
            if self.core.stop_requested.replace(false) {
                break;
            }
        }
    }

    /// Makes `run_forever` return once the current tick finishes.
    pub fn stop(&self) {
        self.core.stop_requested.set(true);
    }

    /// A thread-safe handle to this loop.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(self.core.remote.clone())
    }

    /// This loop's counters.
    pub fn stats(&self) -> LoopStats {
        LoopStats::of(&self.core)
    }

    /// True if the clock is paused.
    pub fn is_clock_paused(&self) -> bool {
        self.core.clock.is_paused()
    }

    /// Cancels every task still alive and runs the loop until they (and any
    /// task their cleanup spawned) have finished, then releases the loop's
    /// resources. Dropping the loop does the same.
    pub fn close(self) {
        self.shutdown();
    }

    #[track_caller]
    fn check_open(&self, what: &str) {
        assert!(!self.closed.get(), "{what} called on a closed EventLoop");
    }

    fn shutdown(&self) {
        if self.closed.replace(true) {
            return;
        }
        let core = &self.core;
        core.close_blocking();
        if std::thread::panicking() || context::is_running() {
            // No turning of the loop here: just drop every future.
            force_drop_all(core);
        } else {
            let _enter = Enter::new(core, "EventLoop::close");
            // 1. Cancel every task and run until the queue is quiet: cleanup
            //    that does not wait (destructors, on_cancel hooks) runs here.
            core.cancel_all();
            run_until_quiet(core);
            // 2. Tasks their cleanup spawned may wait (a timer, a socket):
            //    keep the loop turning, for at most CLOSE_GRACE.
            let deadline = core.clock.now() + CLOSE_GRACE;
            let wake_up = crate::call_at(deadline, || {});
            while core.tasks.borrow().len() > 0 && core.clock.now() < deadline {
                core.tick(None, true);
            }
            wake_up.cancel();
            // 3. Whatever is left is cancelled; a task that keeps spawning
            //    cannot hold the loop open: spawning now yields tasks that
            //    are cancelled before they start.
            for _ in 0..CLOSE_ROUNDS {
                if core.cancel_all() == 0 {
                    break;
                }
                run_until_quiet(core);
            }
            force_drop_all(core);
        }
        // Stop taking messages before waiting for blocking jobs: a job that
        // waits for the loop (a LoopHandle::spawn) is then told "cancelled"
        // instead of waiting forever.
        core.close_queues();
        core.shutdown_blocking();
    }
}

/// Ticks without blocking until nothing is ready (bounded).
fn run_until_quiet(core: &Core) {
    for _ in 0..CLOSE_TICKS {
        core.tick(None, false);
        if core.ready.borrow().is_empty() {
            break;
        }
    }
}

/// Drops every remaining task's future, without polling. Spawning is
/// disabled first: a task spawned now goes to `doomed`, whose futures are
/// dropped here in rounds. A chain of destructors that spawn forever is cut
/// after `CLOSE_ROUNDS` rounds; what is left then is leaked, with a warning.
fn force_drop_all(core: &Core) {
    core.closing.set(true);
    for (slot, generation, task) in core.live_tasks() {
        if core.tasks.borrow_mut().take_scheduled(slot, generation).is_some() {
            task.drop_future(TaskError::cancelled());
            core.finish(slot, task);
        }
    }
    for _ in 0..CLOSE_ROUNDS {
        let doomed = std::mem::take(&mut *core.doomed.borrow_mut());
        if doomed.is_empty() {
            return;
        }
        for task in doomed {
            task.drop_future(TaskError::cancelled());
        }
    }
    let left = std::mem::take(&mut *core.doomed.borrow_mut());
    eprintln!(
        "evloop: while the loop closed, task destructors kept spawning new tasks; \
         {} of them were leaked without being dropped",
        left.len()
    );
    std::mem::forget(left);
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Ends the `block_on` even if the main future panics.
struct EndMain<'a>(&'a Core);

impl Drop for EndMain<'_> {
    fn drop(&mut self) {
        self.0.end_main();
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("index", &self.core.index())
            .field("paused_clock", &self.core.clock.is_paused())
            .field("closed", &self.closed.get())
            .finish()
    }
}
