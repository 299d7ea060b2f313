//! The monitor a loop carries when any monitoring option is set, and the
//! hooks the core calls. With none set the core holds `None` and each hook
//! site is one untaken branch: no clock read, no histogram, no allocation.
//!
//! Two ways to time polls. *Precise* (`measure(true)`, a trace file): the
//! CPU counter (`stamp.rs`); the tick stamps the start of its run step and
//! each poll stamps its end, which is also the next poll's start — one
//! counter read per poll; a wake is stamped with the latest stamp, which
//! gives the schedule latency (wake to poll) without a read per wake.
//! *Coarse* (a slow-poll threshold alone): the same scheme on the
//! millisecond clock of `coarse_clock.rs`, one relaxed atomic load per poll,
//! enough to catch a poll that blocks the loop for tens of milliseconds.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::task::Context;
use std::time::Duration;

use super::beacon::Running;
use super::coarse_clock::{self, CoarseClock};
use super::histogram::{Histogram, Summary};
use super::slow_poll::{PollKind, SlowPoll, CALLBACK_NAME};
use super::stamp::{self, Ticks};
use super::trace::TraceWriter;
use super::watchdog::{StallCallback, Watchdog};
use crate::callback::CallbackCell;
use crate::task::raw::TaskRef;
use crate::task::TaskId;

/// Where slow polls go (`Builder::on_slow_poll`).
pub(crate) type SlowPollCallback = Rc<dyn Fn(&SlowPoll)>;

/// Turns measuring on; built by `Builder`.
#[derive(Clone, Default)]
pub(crate) struct MonitorConfig {
    pub(crate) measure: bool,
    pub(crate) slow_poll_threshold: Option<Duration>,
    pub(crate) on_slow_poll: Option<SlowPollCallback>,
    pub(crate) trace_file: Option<PathBuf>,
    pub(crate) stall_threshold: Option<Duration>,
    pub(crate) on_stall: Option<StallCallback>,
}

impl MonitorConfig {
    /// True if any option asks for measuring.
    pub(crate) fn wanted(&self) -> bool {
        self.measure
            || self.slow_poll_threshold.is_some()
            || self.trace_file.is_some()
            || self.stall_threshold.is_some()
    }
}

impl std::fmt::Debug for MonitorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitorConfig")
            .field("measure", &self.measure)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("on_slow_poll", &self.on_slow_poll.as_ref().map(|_| "Fn(&SlowPoll)"))
            .field("trace_file", &self.trace_file)
            .field("stall_threshold", &self.stall_threshold)
            .field("on_stall", &self.on_stall.as_ref().map(|_| "Fn(&Stall)"))
            .finish()
    }
}

/// What a poll ran: a task (the main task too) or a callback.
#[derive(Clone, Copy)]
enum Ran<'a> {
    Task(&'a TaskRef),
    Callback(&'a CallbackCell),
}

pub(crate) struct Monitor {
    /// The stall watchdog, with the beacon each poll publishes to.
    watchdog: Option<Watchdog>,
    /// The main task's id, to tell its polls apart in reports.
    main_task: Cell<Option<TaskId>>,
    /// Tasks' spawn times, for their age (one atomic load per spawn).
    clock: CoarseClock,
    /// Per-poll timing with the CPU counter: `measure(true)` or a trace.
    precise: Option<Precise>,
    /// Slow-poll detection alone: the ticker's millisecond clock.
    coarse: Option<Coarse>,
    slow_threshold: Option<Duration>,
    on_slow_poll: Option<SlowPollCallback>,
    /// In nanoseconds.
    timer_lateness: RefCell<Histogram>,
    /// In nanoseconds.
    loop_lag: RefCell<Histogram>,
}

struct Precise {
    ticks: Ticks,
    slow_threshold: Option<u64>,
    /// The latest stamp: start of the current step or poll.
    last: Cell<u64>,
    poll_time: RefCell<Histogram>,
    schedule_latency: RefCell<Histogram>,
    trace: Option<RefCell<TraceWriter>>,
    started: std::time::Instant,
}

struct Coarse {
    clock: CoarseClock,
    threshold_us: u64,
    /// The latest reading, in µs: start of the current step or poll.
    last: Cell<u64>,
}

impl Monitor {
    pub(crate) fn new(config: &MonitorConfig, loop_index: u16) -> std::io::Result<Monitor> {
        let precise = if config.measure || config.trace_file.is_some() {
            let ticks = Ticks::calibrate();
            let trace = match &config.trace_file {
                Some(path) => Some(RefCell::new(TraceWriter::create(path, loop_index)?)),
                None => None,
            };
            Some(Precise {
                ticks,
                slow_threshold: config.slow_poll_threshold.map(|d| ticks.ticks_in(d)),
                last: Cell::new(stamp::now()),
                poll_time: RefCell::new(Histogram::new()),
                schedule_latency: RefCell::new(Histogram::new()),
                trace,
                started: std::time::Instant::now(),
            })
        } else {
            None
        };
        let coarse = match (&precise, config.slow_poll_threshold) {
            (None, Some(threshold)) => {
                let clock = CoarseClock::acquire();
                let last = Cell::new(clock.now_us());
                Some(Coarse {
                    clock,
                    threshold_us: crate::timer::clock::us_saturating(threshold),
                    last,
                })
            }
            _ => None,
        };
        let watchdog = match config.stall_threshold {
            Some(threshold) => Some(Watchdog::start(threshold, config.on_stall.clone())?),
            None => None,
        };
        Ok(Monitor {
            watchdog,
            main_task: Cell::new(None),
            clock: CoarseClock::acquire(),
            precise,
            coarse,
            slow_threshold: config.slow_poll_threshold,
            on_slow_poll: config.on_slow_poll.clone(),
            timer_lateness: RefCell::new(Histogram::new()),
            loop_lag: RefCell::new(Histogram::new()),
        })
    }

    /// The counter's rate, when polls are timed precisely.
    pub(crate) fn ticks(&self) -> Option<Ticks> {
        self.precise.as_ref().map(|p| p.ticks)
    }

    /// True when wakes are stamped (precise timing).
    #[inline]
    pub(crate) fn stamps_wakes(&self) -> bool {
        self.precise.is_some()
    }

    /// Stamps now as the start of what comes next.
    #[inline]
    pub(crate) fn stamp(&self) {
        if let Some(p) = &self.precise {
            p.last.set(stamp::now());
        } else if let Some(c) = &self.coarse {
            c.last.set(c.clock.now_us());
        }
    }

    /// Start of a tick's run step: stamp, and sample the run-queue depth.
    pub(crate) fn run_step(&self, depth: usize) {
        self.stamp();
        if let Some(p) = &self.precise {
            if let Some(trace) = &p.trace {
                trace
                    .borrow_mut()
                    .counter("ready queue", p.ts(p.last.get()), depth as u64);
            }
        }
    }

    /// A task was spawned and queued.
    #[inline]
    pub(crate) fn spawned(&self, task: &TaskRef) {
        task.set_born_us(self.clock.now_us().max(1));
        self.woken(task);
    }

    /// How long ago `task` was spawned, if a monitor was on then.
    pub(crate) fn age(&self, task: &TaskRef) -> Option<Duration> {
        match task.born_us() {
            0 => None,
            born => Some(Duration::from_micros(coarse_clock::exact_now_us().saturating_sub(born))),
        }
    }

    /// A task was queued (precise timing only; see `stamps_wakes`).
    #[inline]
    pub(crate) fn woken(&self, task: &TaskRef) {
        if let Some(p) = &self.precise {
            let at = p.last.get();
            task.set_woken_at(at);
            if let Some(trace) = &p.trace {
                trace.borrow_mut().instant("wake", p.ts(at), "task", task.id().as_u64());
            }
        }
    }

    /// The main task has started with this id.
    pub(crate) fn main_task_started(&self, id: TaskId) {
        self.main_task.set(Some(id));
        if let Some(w) = &self.watchdog {
            w.beacon().set_main_id(id.as_u64());
        }
    }

    /// Polls `task` and measures the poll: the scheduler's path when a
    /// monitor is on (a separate arm, so the path without one is exactly
    /// what it was).
    #[inline]
    pub(crate) fn poll(&self, task: &TaskRef, cx: &mut Context<'_>) -> bool {
        let running = self.starting(Ran::Task(task));
        let done = task.poll(cx);
        drop(running);
        self.ended(Ran::Task(task));
        done
    }

    /// Runs a callback (unless it was cancelled) and measures it; returns
    /// whether it ran.
    #[inline]
    pub(crate) fn run_callback(&self, cell: &CallbackCell) -> bool {
        let running = self.starting(Ran::Callback(cell));
        let ran = cell.run();
        drop(running);
        match ran {
            true => self.ended(Ran::Callback(cell)),
            false => self.stamp(),
        }
        ran
    }

    /// A poll of a task or a callback is about to run: tells the watchdog,
    /// if there is one, until the returned guard is dropped.
    #[inline]
    fn starting<'a>(&'a self, ran: Ran<'a>) -> Option<Running<'a>> {
        let beacon = self.watchdog.as_ref()?.beacon();
        Some(match ran {
            Ran::Task(task) => beacon.begin_task(task),
            Ran::Callback(cell) => beacon.begin_callback(cell),
        })
    }

    /// A poll of a task, or a callback, ended now; it began at the previous
    /// stamp.
    #[inline]
    fn ended(&self, ran: Ran<'_>) {
        if let Some(p) = &self.precise {
            let start = p.last.get();
            let end = stamp::now();
            p.last.set(end);
            let took = end.saturating_sub(start);
            p.poll_time.borrow_mut().record(took);
            if let Ran::Task(task) = ran {
                task.add_busy_ticks(took);
                let woken = task.woken_at();
                if woken != 0 && start >= woken {
                    p.schedule_latency.borrow_mut().record(start - woken);
                }
            }
            if let Some(trace) = &p.trace {
                let (start_ns, end_ns) = (p.ts_ns(start), p.ts_ns(end));
                match ran {
                    Ran::Task(task) => {
                        trace
                            .borrow_mut()
                            .poll(&task.name(), Some(task.id().as_u64()), start_ns, end_ns)
                    }
                    Ran::Callback(_) => trace.borrow_mut().poll(CALLBACK_NAME, None, start_ns, end_ns),
                }
            }
            if p.slow_threshold.is_some_and(|t| took > t) {
                self.report_slow(ran, p.ticks.to_duration(took));
            }
        } else if let Some(c) = &self.coarse {
            let start = c.last.get();
            let end = c.clock.now_us();
            c.last.set(end);
            // Possibly slow (the reading may lag a tick or two): confirm with
            // the exact clock. The start reading is never later than the
            // true start, so the duration is never understated.
            if end.saturating_sub(start) + 2 * CoarseClock::TICK_US > c.threshold_us {
                let took = coarse_clock::exact_now_us().saturating_sub(start);
                if took > c.threshold_us {
                    self.report_slow(ran, Duration::from_micros(took));
                }
            }
        }
    }

    #[cold]
    fn report_slow(&self, ran: Ran<'_>, took: Duration) {
        if self.slow_threshold.is_some_and(|t| took <= t) {
            return;
        }
        let report = match ran {
            Ran::Task(task) => SlowPoll {
                kind: match self.main_task.get() == Some(task.id()) {
                    true => PollKind::Main,
                    false => PollKind::Task,
                },
                task_id: Some(task.id()),
                task_name: task.name(),
                duration: took,
                spawned_at: task.spawned_at(),
            },
            Ran::Callback(cell) => SlowPoll {
                kind: PollKind::Callback,
                task_id: None,
                task_name: CALLBACK_NAME.to_string(),
                duration: took,
                spawned_at: cell.scheduled_at(),
            },
        };
        match &self.on_slow_poll {
            Some(callback) => {
                let call = std::panic::AssertUnwindSafe(|| callback(&report));
                if std::panic::catch_unwind(call).is_err() {
                    eprintln!("evloop: the on_slow_poll callback panicked; the report was: {report}");
                }
            }
            None => eprintln!("evloop: {report}"),
        }
    }

    /// Timers fired at `now_us`; `deadlines` are theirs, in µs.
    pub(crate) fn timers_fired(&self, now_us: u64, deadlines: impl Iterator<Item = u64>) {
        let mut h = self.timer_lateness.borrow_mut();
        let mut n = 0;
        for at in deadlines {
            h.record(now_us.saturating_sub(at) * 1000);
            n += 1;
        }
        if let Some(p) = &self.precise {
            if let Some(trace) = &p.trace {
                trace
                    .borrow_mut()
                    .instant("timers fired", p.ts(p.last.get()), "count", n);
            }
        }
    }

    /// A sample from `lag_monitor`.
    pub(crate) fn record_lag(&self, lag: Duration) {
        self.loop_lag
            .borrow_mut()
            .record(lag.as_nanos().min(u64::MAX as u128) as u64);
    }

    /// Summaries for `stats()`: poll time and schedule latency (precise
    /// timing only), timer lateness, loop lag.
    pub(crate) fn summaries(&self) -> [Option<Summary>; 4] {
        let (poll_time, schedule_latency) = match &self.precise {
            Some(p) => {
                let ticks = p.ticks;
                let from_ticks = |v| ticks.to_duration(v);
                (
                    Some(Summary::of(&p.poll_time.borrow(), from_ticks)),
                    Some(Summary::of(&p.schedule_latency.borrow(), from_ticks)),
                )
            }
            None => (None, None),
        };
        [
            poll_time,
            schedule_latency,
            Some(Summary::of(&self.timer_lateness.borrow(), Duration::from_nanos)),
            Some(Summary::of(&self.loop_lag.borrow(), Duration::from_nanos)),
        ]
    }

    /// Flushes and closes the trace file.
    /// Writes what the trace holds so far and closes the array, so the
    /// file is valid JSON now (`monitor::flush_trace`). Without a trace,
    /// nothing to do.
    pub(crate) fn flush_trace(&self) -> std::io::Result<()> {
        match self.precise.as_ref().and_then(|p| p.trace.as_ref()) {
            Some(trace) => trace.borrow_mut().flush(),
            None => Ok(()),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(trace) = self.precise.as_ref().and_then(|p| p.trace.as_ref()) {
            trace.borrow_mut().finish();
        }
    }
}

impl Precise {
    fn ts(&self, stamp: u64) -> f64 {
        self.ticks.micros_since(stamp, self.started)
    }

    /// A stamp as whole nanoseconds since the loop started. Slices are
    /// written from these, so one poll's end and the next poll's start (the
    /// same stamp) give the same number and slices never overlap.
    fn ts_ns(&self, stamp: u64) -> u64 {
        (self.ts(stamp) * 1000.0).max(0.0).round() as u64
    }
}
