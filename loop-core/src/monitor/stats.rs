//! Loop counters and `stats()`.

use std::cell::Cell;
use std::fmt;

use super::histogram::Summary;
use crate::context;
use crate::core::Core;

/// The loop's counters: plain `Cell<u64>`s, bumped on the paths they count.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) ticks: Cell<u64>,
    pub(crate) polls: Cell<u64>,
    pub(crate) tasks_spawned: Cell<u64>,
    pub(crate) wakes_local: Cell<u64>,
    pub(crate) wakes_remote: Cell<u64>,
    pub(crate) io_events: Cell<u64>,
    pub(crate) timers_fired: Cell<u64>,
    pub(crate) callbacks_run: Cell<u64>,
    pub(crate) busy_poll_spins: Cell<u64>,
    pub(crate) busy_poll_hits: Cell<u64>,
}

/// What a loop has done since it was created.
///
/// ```
/// # use evloop_core as evloop;
/// evloop::run(async {
///     evloop::spawn(async {}).await.unwrap();
///     let s = evloop::monitor::stats();
///     assert_eq!(s.tasks_spawned, 2, "the task and the main task");
///     assert_eq!(s.tasks_alive, 1, "the main task, running now");
///     println!("{s}");
/// });
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoopStats {
    /// Turns of the loop.
    pub ticks: u64,
    /// Polls of tasks and of `block_on` futures.
    pub polls: u64,
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Tasks not yet finished (the main task included while it runs).
    pub tasks_alive: u64,
    /// Entries in the task slab (live or free): its memory footprint, which
    /// comes down after a burst of tasks has finished.
    pub task_store_size: u64,
    /// Wakes that scheduled a task from the loop thread.
    pub wakes_local: u64,
    /// Wakes that arrived from other threads (or while the loop was not running).
    pub wakes_remote: u64,
    /// I/O readiness events.
    pub io_events: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Timers armed and not yet fired or cancelled.
    pub timers_pending: u64,
    /// Node slots in the timer store (armed or free): its memory footprint.
    pub timer_store_size: u64,
    /// Slots of the run queue's buffer: its memory footprint.
    pub run_queue_size: u64,
    /// I/O sources registered.
    pub io_sources: u64,
    /// Callbacks run.
    pub callbacks_run: u64,
    /// Threads of the blocking pool (`to_thread`) alive now.
    pub blocking_threads: u64,
    /// Times the loop, about to sleep, busy-polled for I/O first
    /// ([`Builder::busy_poll`](crate::Builder::busy_poll)).
    pub busy_poll_spins: u64,
    /// Busy-poll spins that ended because work arrived: each saved the loop
    /// a sleep and a wakeup.
    pub busy_poll_hits: u64,
    /// How long polls and callbacks took (measuring on only).
    pub poll_time: Option<Summary>,
    /// From a task's wake to its poll (measuring on only).
    pub schedule_latency: Option<Summary>,
    /// How late timers fired after their deadline (measuring on only).
    pub timer_lateness: Option<Summary>,
    /// Samples from `lag_monitor` (measuring on only).
    pub loop_lag: Option<Summary>,
}

impl LoopStats {
    pub(crate) fn of(core: &Core) -> LoopStats {
        let c = core.counters();
        let timers = core.timers();
        let [poll_time, schedule_latency, timer_lateness, loop_lag] = match core.monitor() {
            Some(m) => m.summaries(),
            None => [None; 4],
        };
        LoopStats {
            ticks: c.ticks.get(),
            polls: c.polls.get(),
            tasks_spawned: c.tasks_spawned.get(),
            tasks_alive: core.tasks().len() as u64,
            task_store_size: core.tasks().capacity() as u64,
            wakes_local: c.wakes_local.get(),
            wakes_remote: c.wakes_remote.get(),
            io_events: c.io_events.get(),
            timers_fired: c.timers_fired.get(),
            timers_pending: timers.len() as u64,
            timer_store_size: timers.store_size() as u64,
            run_queue_size: core.run_queue().capacity() as u64,
            io_sources: core.reactor().borrow().source_count() as u64,
            callbacks_run: c.callbacks_run.get(),
            blocking_threads: core.blocking().threads() as u64,
            busy_poll_spins: c.busy_poll_spins.get(),
            busy_poll_hits: c.busy_poll_hits.get(),
            poll_time,
            schedule_latency,
            timer_lateness,
            loop_lag,
        }
    }
}

impl fmt::Display for LoopStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ticks={} polls={} spawned={} alive={} wakes(local/remote)={}/{} io_events={} \
             timers(fired/pending)={}/{} callbacks={}",
            self.ticks,
            self.polls,
            self.tasks_spawned,
            self.tasks_alive,
            self.wakes_local,
            self.wakes_remote,
            self.io_events,
            self.timers_fired,
            self.timers_pending,
            self.callbacks_run
        )?;
        if let Some(p) = &self.poll_time {
            write!(f, "\npoll time: {p}")?;
        }
        if let Some(s) = &self.schedule_latency {
            write!(f, "\nschedule latency: {s}")?;
        }
        if let Some(t) = &self.timer_lateness {
            write!(f, "\ntimer lateness: {t}")?;
        }
        if let Some(l) = self.loop_lag.filter(|l| l.count > 0) {
            write!(f, "\nloop lag: {l}")?;
        }
        Ok(())
    }
}

/// The running loop's counters.
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn stats() -> LoopStats {
    context::with_core("evloop::monitor::stats", LoopStats::of)
}
