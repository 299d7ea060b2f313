//! `Builder`: loop options.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use super::EventLoop;
use crate::blocking::BlockingConfig;
use crate::monitor::recorder::MonitorConfig;
use crate::monitor::{SlowPoll, Stall};

/// The slow-poll threshold of `EVLOOP_DEBUG=1` and of `on_slow_poll` alone,
/// asyncio's default `slow_callback_duration`.
const DEFAULT_SLOW_POLL: Duration = Duration::from_millis(100);

/// The stall threshold of `EVLOOP_DEBUG=1` and of `on_stall` alone.
const DEFAULT_STALL: Duration = Duration::from_secs(1);

/// Options for a new [`EventLoop`]; start from [`EventLoop::builder`].
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder()
///     .paused_clock(true)
///     .slow_poll_threshold(Duration::from_millis(50))
///     .on_slow_poll(|slow| eprintln!("{} blocked the loop for {:?}", slow.task_name(), slow.duration()))
///     .build()
///     .unwrap();
/// lp.block_on(async {
///     // An hour of virtual time passes at once.
///     evloop::sleep(Duration::from_secs(3600)).await;
/// });
/// ```
#[derive(Clone)]
pub struct Builder {
    paused_clock: bool,
    monitor: MonitorConfig,
    blocking: BlockingConfig,
    busy_poll: Duration,
}

impl Default for Builder {
    fn default() -> Builder {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Builder {
            paused_clock: false,
            monitor: MonitorConfig::default(),
            blocking: BlockingConfig {
                max_threads: 4 * cores,
                keep_alive: Duration::from_secs(10),
                shutdown_timeout: Duration::from_secs(300),
            },
            busy_poll: Duration::ZERO,
        }
    }
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder::default()
    }

    /// At most this many threads run `to_thread` jobs at once (default:
    /// four per core); more jobs wait in a queue.
    ///
    /// # Panics
    /// If `n` is zero.
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        assert!(n > 0, "max_blocking_threads must be at least 1");
        self.blocking.max_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before exiting
    /// (default 10 s).
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Self {
        self.blocking.keep_alive = keep_alive;
        self
    }

    /// How long closing the loop waits for `to_thread` jobs still running
    /// (default 300 s, like asyncio's `shutdown_default_executor`). Jobs
    /// still running then are left to finish on their own threads, with a
    /// warning on stderr.
    pub fn blocking_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.blocking.shutdown_timeout = timeout;
        self
    }

    /// Use a paused (virtual) clock. It starts at the real now and, whenever
    /// no task is ready and no I/O event is pending, jumps straight to the
    /// next timer deadline — so tests that sleep for hours finish at once,
    /// with events in the order a real clock would give. `advance` moves it
    /// by hand.
    pub fn paused_clock(mut self, paused: bool) -> Self {
        self.paused_clock = paused;
        self
    }

    /// Busy polling: when the loop has nothing to do, poll for I/O without
    /// waiting for up to `window` before going to sleep in `epoll_wait`
    /// (`Duration::ZERO`, the default: never).
    ///
    /// A loop that sleeps as soon as it is idle pays for a wakeup — an
    /// interrupt, a context switch, a core leaving its idle state, several
    /// microseconds — on every request that finds it asleep. A server
    /// answering a stream of small requests faster than they come is asleep
    /// for most of them; spinning for a few tens of microseconds catches the
    /// next one awake. The price is CPU: a spin keeps its core busy for as
    /// long as it lasts, on behalf of requests that may not come (between
    /// polls it yields the core to any other thread waiting for it, so on
    /// a crowded machine it mostly takes time nobody else wanted).
    ///
    /// So the spin is adaptive. The loop spins only while idle periods keep
    /// ending with work arriving within `window` of going idle (an I/O
    /// event for a task, or a wake or message from another thread): four
    /// idle periods in a row without that — the spin ran out, a timer
    /// ended the sleep, or the next request came only after a longer
    /// sleep — and it stops spinning until work again arrives within
    /// `window` of the loop going to sleep. A new loop starts not spinning.
    /// An idle loop therefore costs no CPU: when traffic stops, at most four
    /// spins are wasted, and timers waking the loop later do not spin.
    ///
    /// A spin never runs past the next timer deadline, and ends as soon as
    /// anything is ready: I/O that woke a task, or a wake, a
    /// `call_soon_threadsafe` or a `stop` from another thread. Nothing else
    /// changes: the same tasks run in the same ticks, in the same order. A
    /// paused clock never spins (virtual time jumps as before).
    /// [`stats`](crate::monitor::stats) counts the spins and those that
    /// found work (`busy_poll_spins`, `busy_poll_hits`).
    ///
    /// Worth it for latency-bound servers with a core to spare: with a
    /// 50 µs window, evloop's RESP server example overtakes redis-server
    /// under `redis-benchmark` (`docs/benchmarks.md`). On a machine with
    /// more busy threads than cores, a spinning loop takes CPU time its
    /// neighbours (the clients, among them) could have used.
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// use std::time::Duration;
    ///
    /// let lp = evloop::EventLoop::builder()
    ///     .busy_poll(Duration::from_micros(50))
    ///     .build()
    ///     .unwrap();
    /// lp.block_on(async {
    ///     // Idle, with a timer: the loop sleeps, it does not spin.
    ///     evloop::sleep(Duration::from_millis(5)).await;
    /// });
    /// assert_eq!(lp.stats().busy_poll_spins, 0);
    /// ```
    pub fn busy_poll(mut self, window: Duration) -> Self {
        self.busy_poll = window;
        self
    }

    /// Report every poll that takes longer than `threshold` (asyncio's
    /// `loop.slow_callback_duration`): to the `on_slow_poll` callback, or
    /// else as one line on stderr naming the task and where it was spawned.
    ///
    /// A threshold alone is cheap: polls are timed against a millisecond
    /// clock (one relaxed atomic load per poll), enough to catch a poll that
    /// blocks for tens of milliseconds. It does not fill `stats()`'s
    /// `poll_time` and `schedule_latency`, nor the busy times of the task
    /// dump; for those, add [`measure(true)`](Self::measure) (one CPU-counter
    /// read per poll). See [`monitor`](crate::monitor) for what each option
    /// costs.
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Self {
        self.monitor.slow_poll_threshold = Some(threshold);
        self
    }

    /// Where slow polls are reported. Without `slow_poll_threshold`, the
    /// threshold is 100 ms.
    pub fn on_slow_poll(mut self, callback: impl Fn(&SlowPoll) + 'static) -> Self {
        self.monitor.on_slow_poll = Some(Rc::new(callback));
        self
    }

    /// Watch for a poll — of a task, of the main task, or a callback — that
    /// has been running for longer than `threshold`, and report it **while
    /// it is still running**, once per stall: to the `on_stall` callback,
    /// or else on stderr, with the task's name, where it was spawned, how
    /// long it has run and, on Linux, the loop thread's stack at that
    /// moment ([`Stall`]). This is how a loop that is stuck for good — a
    /// task blocking on something only the loop itself could provide — is
    /// found: a slow-poll report would come only when the poll ends.
    ///
    /// A watchdog thread does the watching; the loop pays two plain stores
    /// per poll. The stack is taken by a `SIGURG` sent to the loop
    /// thread (see [`Stall::backtrace`] for when there is none).
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let stalls = Arc::new(Mutex::new(Vec::new()));
    /// let seen = stalls.clone();
    /// let lp = evloop::EventLoop::builder()
    ///     .stall_threshold(Duration::from_millis(50))
    ///     .on_stall(move |stall| seen.lock().unwrap().push(stall.task_name().to_string()))
    ///     .build()
    ///     .unwrap();
    /// lp.block_on(async {
    ///     evloop::spawn_named("stuck", async { std::thread::sleep(Duration::from_millis(400)) })
    ///         .await
    ///         .unwrap();
    /// });
    /// # // On a crowded machine the report (a stack to symbolise) can land
    /// # // just after `block_on` returns: give it a moment.
    /// # for _ in 0..200 {
    /// #     if !stalls.lock().unwrap().is_empty() { break }
    /// #     std::thread::sleep(Duration::from_millis(10));
    /// # }
    /// assert_eq!(*stalls.lock().unwrap(), ["stuck"]);
    /// ```
    pub fn stall_threshold(mut self, threshold: Duration) -> Self {
        self.monitor.stall_threshold = Some(threshold);
        self
    }

    /// Where stalls are reported; called on the watchdog thread. Without
    /// `stall_threshold`, the threshold is 1 s.
    pub fn on_stall(mut self, callback: impl Fn(&Stall) + Send + Sync + 'static) -> Self {
        self.monitor.on_stall = Some(std::sync::Arc::new(callback));
        self
    }

    /// Write a Chrome trace-event JSON file of the loop's activity (one
    /// slice per poll, wakes, timer fires, run-queue depth), finished when
    /// the loop closes; open it in Perfetto or `chrome://tracing`. Turns
    /// measuring on.
    pub fn trace_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.monitor.trace_file = Some(path.into());
        self
    }

    /// Measure poll times, schedule latency and timer lateness for
    /// [`stats`](crate::monitor::stats) even without a slow-poll threshold
    /// or a trace.
    pub fn measure(mut self, on: bool) -> Self {
        self.monitor.measure = on;
        self
    }

    /// Builds the loop.
    ///
    /// `EVLOOP_DEBUG=1` in the environment (like `PYTHONASYNCIODEBUG`) turns
    /// slow-poll reports on at 100 ms and the stall watchdog on at 1 s,
    /// unless thresholds were set.
    ///
    /// # Errors
    /// If the OS refuses an epoll instance, an eventfd or a timerfd (for
    /// example when the process is out of file descriptors), the trace
    /// file cannot be created, or the stall watchdog's thread cannot start.
    pub fn build(self) -> io::Result<EventLoop> {
        let mut monitor = self.monitor;
        let debug = std::env::var_os("EVLOOP_DEBUG").is_some_and(|v| !v.is_empty() && v != "0");
        if monitor.slow_poll_threshold.is_none() && (debug || monitor.on_slow_poll.is_some()) {
            monitor.slow_poll_threshold = Some(DEFAULT_SLOW_POLL);
        }
        if monitor.stall_threshold.is_none() && (debug || monitor.on_stall.is_some()) {
            monitor.stall_threshold = Some(DEFAULT_STALL);
        }
        EventLoop::from_builder(self.paused_clock, &monitor, self.blocking, self.busy_poll)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("paused_clock", &self.paused_clock)
            .field("monitor", &self.monitor)
            .field("blocking", &self.blocking)
            .field("busy_poll", &self.busy_poll)
            .finish()
    }
}
