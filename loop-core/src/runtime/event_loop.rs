//! `EventLoop`: owns one loop and drives it.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::time::Instant;

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
        busy_poll: std::time::Duration,
    ) -> io::Result<EventLoop> {
        Ok(EventLoop {
            core: Core::new(paused_clock, monitor, blocking, busy_poll)?,
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

    /// Runs one tick — the same tick `run_forever` runs — for a host program
    /// that drives the loop from its own loop (libuv's `uv_run`, asyncio's
    /// private `_run_once`). When nothing is ready it first waits at most
    /// `timeout` for I/O, a timer or a remote wake, then ticks: `None` waits
    /// as long as needed, `Some(Duration::ZERO)` never blocks. With a paused
    /// clock the wait is virtual: time jumps to the next deadline, at most
    /// `timeout` ahead.
    ///
    /// After the tick, the backend fd ([`AsRawFd`](std::os::fd::AsRawFd)) is readable whenever
    /// the loop has work: at once if tasks are still queued, when an I/O
    /// event or a message from another thread arrives, and (real clock, on
    /// Linux) at the next timer deadline. A host adds the fd to its own
    /// `poll`/`epoll`/GLib source/tokio `AsyncFd`, waits for it to be
    /// readable (or for [`next_deadline`](Self::next_deadline)), and calls
    /// `run_once(Some(Duration::ZERO))`. The fd is an epoll instance: the
    /// tick consumes what made it readable, so treat it as edge-like — after
    /// a tick, poll it again rather than assume it is still readable.
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// use std::time::Duration;
    ///
    /// let lp = evloop::EventLoop::new().unwrap();
    /// let task = lp.spawn(async { 6 * 7 });
    /// while !task.is_finished() {
    ///     // The host's frame: its own work, then a bounded slice for evloop.
    ///     lp.run_once(Some(Duration::from_millis(16)));
    /// }
    /// assert_eq!(lp.block_on(task).unwrap(), 42);
    /// ```
    ///
    /// # Panics
    /// Like `block_on`: if a loop is already running on this thread, or the
    /// loop is closed.
    #[track_caller]
    pub fn run_once(&self, timeout: Option<std::time::Duration>) {
        self.check_open("EventLoop::run_once");
        let _enter = Enter::new(&self.core, "EventLoop::run_once");
        // Wait first, and only if nothing is ready: then the tick processes
        // what the wait brought (libuv's UV_RUN_ONCE does the same).
        if self.core.is_idle() {
            self.core.wait(timeout);
        }
        self.core.tick(TickMode::Drain);
        self.core.arm_backend_fd();
    }

    /// Ticks until nothing is ready — no task or callback queued, no message
    /// from another thread pending — never waiting for I/O or timers. Timers
    /// already due fire. A task that wakes itself on every tick keeps it
    /// going, as it would keep any loop busy.
    ///
    /// # Panics
    /// Like [`run_once`](Self::run_once).
    #[track_caller]
    pub fn run_until_idle(&self) {
        self.check_open("EventLoop::run_until_idle");
        let _enter = Enter::new(&self.core, "EventLoop::run_until_idle");
        loop {
            self.core.tick(TickMode::Drain);
            if self.core.is_idle() {
                break;
            }
        }
        self.core.arm_backend_fd();
    }

    /// When the loop next needs a tick for a timer: the earliest armed
    /// timer's deadline on the loop's clock (possibly a little early: the
    /// start of the wheel slot that holds it; a tick then fires nothing and
    /// this moves on), `None` if no timer is armed. A host sizes its own wait
    /// with it.
    pub fn next_deadline(&self) -> Option<Instant> {
        let timers = self.core.timers();
        timers.next_deadline().map(|us| timers.clock().instant_at(us))
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

/// The loop's backend fd (its epoll instance), for a host program's own
/// poll: see [`EventLoop::run_once`] for what readable means.
#[cfg(unix)]
impl std::os::fd::AsRawFd for EventLoop {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.core.reactor().borrow().backend_fd()
    }
}

/// The loop's backend fd, borrowed for as long as the loop lives.
#[cfg(unix)]
impl std::os::fd::AsFd for EventLoop {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsRawFd;
        // SAFETY: the fd belongs to the reactor's `mio::Poll`, which lives
        // in `self.core` and is neither closed nor replaced before the
        // `EventLoop` (and so this borrow of it) is gone.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(self.as_raw_fd()) }
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
