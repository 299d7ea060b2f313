//! `EventLoop`: owns one loop and drives it.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::{pin, Pin};
use std::rc::Rc;

use super::{shutdown, Builder};
use crate::blocking::BlockingConfig;
use crate::context::Enter;
use crate::core::Core;
use crate::monitor::recorder::MonitorConfig;
use crate::monitor::LoopStats;
use crate::remote::LoopHandle;
use crate::scheduler::TickMode;
use crate::task::main_task::MainTask;
use crate::task::Task;

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
    /// (asyncio's `run_until_complete`). `fut` runs as the loop's main task,
    /// named `"main"`. Tasks spawned earlier keep their state between calls.
    ///
    /// # Panics
    /// If a loop is already running on this thread, if the loop is closed,
    /// and when `fut` panics (with `fut`'s panic).
    #[track_caller]
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.check_open("EventLoop::block_on");
        let spawned_at = Location::caller();
        let _enter = Enter::new(&self.core, "EventLoop::block_on");
        let mut output = None;
        let ended = {
            let mut main = pin!(async {
                output = Some(fut.await);
            });
            let main: Pin<&mut dyn Future<Output = ()>> = main.as_mut();
            // SAFETY: `main` is pinned in this frame and outlives the guard,
            // which is dropped (never leaked) at the end of this block, on
            // the normal path and when unwinding (see `task/main_task.rs`).
            let task = unsafe { MainTask::start(&self.core, main, spawned_at) };
            while !task.is_finished() {
                self.core.tick(TickMode::BlockOn { main: task.task() });
            }
            task.finish()
        };
        match ended {
            Ok(()) => output.expect("the main task completed"),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("evloop: the main task ended without a value: {e}"),
        }
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
            self.core.tick(TickMode::RunForever);
            if self.core.take_stop_request() {
                break;
            }
        }
    }

    /// Creates a task on this loop from the thread that owns it, whether or
    /// not the loop is running; it first runs on the loop's next tick.
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// let lp = evloop::EventLoop::new().unwrap();
    /// let task = lp.spawn(async { 2 + 2 });
    /// assert_eq!(lp.block_on(task).unwrap(), 4);
    /// ```
    ///
    /// # Panics
    /// If the loop is closed.
    #[track_caller]
    pub fn spawn<F: Future + 'static>(&self, fut: F) -> Task<F::Output> {
        self.check_open("EventLoop::spawn");
        self.core.spawn(fut, None, Location::caller())
    }

    /// Like [`spawn`](Self::spawn), with a name.
    ///
    /// # Panics
    /// If the loop is closed.
    #[track_caller]
    pub fn spawn_named<F: Future + 'static>(&self, name: impl Into<String>, fut: F) -> Task<F::Output> {
        self.check_open("EventLoop::spawn_named");
        self.core.spawn(fut, Some(name.into()), Location::caller())
    }

    /// Makes `run_forever` return once the current tick finishes.
    pub fn stop(&self) {
        self.core.request_stop();
    }

    /// A thread-safe handle to this loop.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(self.core.inbox().shared().clone())
    }

    /// This loop's counters.
    pub fn stats(&self) -> LoopStats {
        LoopStats::of(&self.core)
    }

    /// True if the clock is paused.
    pub fn is_clock_paused(&self) -> bool {
        self.core.timers().clock().is_paused()
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
        if !self.closed.replace(true) {
            shutdown::close(&self.core);
        }
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("index", &self.core.index())
            .field("paused_clock", &self.core.timers().clock().is_paused())
            .field("closed", &self.closed.get())
            .finish()
    }
}
