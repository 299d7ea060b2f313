//! The tick: one turn of the loop (asyncio's `_run_once`), in four steps,
//! one call each.
//!
//! 1. **Timers** ([`Core::fire_timers`]): read the clock once and fire every
//!    timer that is due (`timer/`); a fired `sleep` wakes its task, a fired
//!    `call_later` queues its callback.
//! 2. **Inbox** ([`Core::drain_inbox`]): take what other threads sent —
//!    wakes, `call_soon_threadsafe` callbacks, `stop` (`remote/`).
//! 3. **Run** ([`Core::run_ready`]): pop exactly as many entries as the run
//!    queue held when this step began, and poll each task (the main task
//!    too) or run each callback. Anything made ready now — a task waking
//!    itself, a `call_soon` from a callback — goes to the back of the queue
//!    and waits for the next tick, so timers and I/O are looked at between
//!    any two polls of the same task. Timers armed during the step as
//!    "`d` from now" are linked at its end, with one clock read for all.
//! 4. **I/O** ([`Core::poll_io`] / [`Core::wait`]): poll mio (`reactor/`).
//!    If work is queued, or the tick's mode says not to wait, the poll does
//!    not wait (and is skipped when no I/O source is registered, since wakes
//!    from other threads are seen through the inbox flag). Otherwise it
//!    sleeps until the next timer deadline — with a timerfd for
//!    sub-millisecond precision — or until an event or a remote wake
//!    arrives. With [`Builder::busy_poll`](crate::Builder::busy_poll), it
//!    may first poll without waiting for a short while (`busy_poll.rs`).
//!    With a paused clock, an idle loop instead jumps virtual time to the
//!    next deadline.
//!
//! **A shortcut, not a fifth step.** When step 3 ends with tasks queued but
//! no timer armed, no message pending and no I/O source registered, the next
//! tick's steps 1, 2 and 4 have nothing to do: the tick counts a new tick and
//! goes straight into its step 3 (`Core::next_tick_only_runs`). The
//! sequence of steps and the order of polls are the ones above; only three
//! calls that would find nothing are left out. It ends as soon as any of
//! that changes, and when the loop would stop (the main task is done, a
//! stop was asked for). A host's `run_once` always runs exactly one tick.
//!
//! [`TickMode`] says who is turning the loop — `block_on`, `run_forever`,
//! or the close protocol and host programs — which decides only step 4:
//! whether it may wait. A host's `run_once` is the same tick, never waiting
//! in step 4, preceded by a bounded wait when nothing is ready.

use std::task::Context;
use std::time::Duration;

use crate::cancel::as_cancellation;
use crate::core::Core;
use crate::monitor::recorder::Monitor;
use crate::remote::RemoteMsg;
use crate::run_queue::Runnable;
use crate::task::raw::TaskRef;
use crate::task::TaskError;
use crate::timer::clock::us_saturating;
use crate::timer::TimerPayload;
use crate::trim;

/// Who turns the loop, and so whether step 4 may wait.
#[derive(Clone, Copy)]
pub(crate) enum TickMode<'a> {
    /// `block_on`: wait when idle, until the main task is finished. A stop
    /// request is left for the next `run_forever`.
    BlockOn { main: &'a TaskRef },
    /// `run_forever`: wait when idle, until a stop is requested.
    RunForever,
    /// Closing, and a host program driving the loop (`run_once`,
    /// `run_until_idle`): never wait here. (`run_once` waits *before* its
    /// tick, and only if nothing is ready: [`Core::wait`].)
    Drain,
}

impl Core {
    /// Runs one tick.
    pub(crate) fn tick(&self, mode: TickMode<'_>) {
        self.counters().ticks.set(self.counters().ticks.get() + 1);

        // 1. Timers.
        if !self.timers().is_empty() {
            self.fire_timers(self.timers().clock().now_us());
        }

        // 2. Inbox.
        self.drain_inbox();

        // 3. Run what was ready when this step began. Then, while the next
        // tick would only run its step 3, go straight into it.
        loop {
            self.run_ready();
            if !self.next_tick_only_runs(mode) {
                break;
            }
            self.counters().ticks.set(self.counters().ticks.get() + 1);
        }

        // 4. I/O, waiting only if there is nothing else to do.
        if self.goes_on(mode) && self.is_idle() {
            self.wait(None);
        } else if self.reactor().borrow().has_sources() {
            self.poll_io(Some(Duration::ZERO));
        }
    }

    /// Whether the loop goes on after this tick: it may then wait in step 4.
    #[inline]
    fn goes_on(&self, mode: TickMode<'_>) -> bool {
        match mode {
            TickMode::BlockOn { main } => !main.is_complete(),
            TickMode::RunForever => !self.stop_requested(),
            TickMode::Drain => false,
        }
    }

    /// Whether the next tick would do nothing but step 3: tasks are queued,
    /// no timer is armed (step 1 would fire nothing), no message is pending
    /// (step 2), no I/O source is registered (step 4 would skip the poll),
    /// and the loop goes on. Then the tick goes straight into the next
    /// tick's step 3 — the same sequence of steps, without returning to
    /// `block_on` and looking at three things known to be empty. A chain of
    /// tasks that each spawn or wake the next one runs a tick per task; the
    /// shortcut took 32 of a link's 382 instructions off
    /// (`benches/count_instructions.sh`, chained_spawn). A host's `run_once`
    /// (`Drain`) still runs exactly one tick.
    #[inline]
    fn next_tick_only_runs(&self, mode: TickMode<'_>) -> bool {
        !self.run_queue().is_empty()
            && self.timers().is_empty()
            && !self.inbox().is_notified()
            && !self.reactor().borrow().has_sources()
            && self.goes_on(mode)
    }

    /// Step 1: fires every timer due at `now_us`, in deadline order.
    pub(crate) fn fire_timers(&self, now_us: u64) {
        let mut fired = self.timers().take_due(now_us);
        if !fired.is_empty() {
            let counters = self.counters();
            counters
                .timers_fired
                .set(counters.timers_fired.get() + fired.len() as u64);
            if let Some(m) = self.monitor() {
                m.stamp();
                m.timers_fired(now_us, fired.iter().map(|(when, _)| *when));
            }
            for (_, payload) in fired.drain(..) {
                match payload {
                    TimerPayload::Wake(waker) => waker.wake(),
                    TimerPayload::NotPolled => {}
                    TimerPayload::Callback(cell) => {
                        cell.disarmed();
                        self.run_queue().push_back(Runnable::Callback(cell));
                    }
                }
            }
        }
        self.timers().recycle(fired);
    }

    /// Step 2: handles what other threads sent.
    pub(crate) fn drain_inbox(&self) {
        if !self.inbox().take_notified() {
            return;
        }
        while let Some(msg) = self.inbox().next() {
            match msg {
                RemoteMsg::Wake { slot, generation } => {
                    let counters = self.counters();
                    counters.wakes_remote.set(counters.wakes_remote.get() + 1);
                    self.wake(slot, generation);
                }
                RemoteMsg::Call(f, at) => {
                    let cell = crate::callback::CallbackCell::new(f, None, at);
                    self.run_queue().push_back(Runnable::Callback(cell));
                }
                RemoteMsg::Stop => self.request_stop(),
            }
        }
    }

    /// Step 3: runs the entries queued when the step began.
    pub(crate) fn run_ready(&self) {
        let n = {
            let queue = self.run_queue();
            queue.note_peak();
            queue.len()
        };
        let monitor = self.monitor();
        if let Some(m) = monitor {
            m.run_step(n);
        }
        for _ in 0..n {
            let Some(entry) = self.run_queue().pop_front() else {
                break;
            };
            match entry {
                Runnable::Task(task) => self.run_task(task, monitor),
                Runnable::Callback(cell) => {
                    let ran = match monitor {
                        None => cell.run(),
                        Some(m) => m.run_callback(&cell),
                    };
                    if ran {
                        let counters = self.counters();
                        counters.callbacks_run.set(counters.callbacks_run.get() + 1);
                    }
                }
            }
        }
        // Timers armed "d from now" during the step count from here: one
        // clock read for all of them (`timer/wheel.rs`, "Staged timers").
        self.timers().settle();
        if self.counters().ticks.get() % trim::WINDOW == 0 {
            self.trim();
        }
    }

    /// Shrinks the task slab, the timer store and the run queue to fit
    /// what the last window of ticks needed (`trim.rs`).
    #[cold]
    fn trim(&self) {
        self.tasks().trim();
        self.timers().trim();
        self.run_queue().trim();
    }

    /// Polls (or, if cancellation was requested, drops) one queued task.
    #[inline]
    fn run_task(&self, task: TaskRef, monitor: Option<&Monitor>) {
        if !task.take_scheduled() {
            return; // finished while it waited in the queue
        }
        let tasks = self.tasks();
        tasks.set_current(Some(&task));
        let done = if task.is_cancel_requested() {
            as_cancellation(|| task.drop_future(TaskError::cancelled()));
            true
        } else {
            let waker = task.poll_waker();
            let counters = self.counters();
            counters.polls.set(counters.polls.get() + 1);
            let cx = &mut Context::from_waker(&waker);
            match monitor {
                None => task.poll(cx),
                Some(m) => m.poll(&task, cx),
            }
        };
        tasks.set_current(None);
        let requeue = tasks.take_requeue();
        if done {
            tasks.finish(task);
        } else if requeue {
            self.requeue(task);
        }
    }

    /// After a tick a host program asked for (`run_once`, `run_until_idle`):
    /// arrange for the backend fd to become readable when the loop next has
    /// work — at once if tasks are queued already, else (real clock, Linux)
    /// at the next timer deadline. I/O events and messages from other
    /// threads make it readable by themselves.
    pub(crate) fn arm_backend_fd(&self) {
        if !self.is_idle() {
            self.inbox().poke();
            return;
        }
        let clock = self.timers().clock();
        if let (false, Some(at)) = (clock.is_paused(), self.timers().next_deadline()) {
            self.reactor().borrow_mut().wake_backend_after(clock.until(at));
        }
    }

    /// True if nothing is queued to run and no message from another
    /// thread is pending.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.run_queue().is_empty() && !self.inbox().is_notified()
    }

    /// Step 4 when idle: sleep until a deadline, an event or a remote wake,
    /// and at most `limit` (`None`: no limit).
    pub(crate) fn wait(&self, limit: Option<Duration>) {
        let next = self.timers().next_deadline();
        let clock = self.timers().clock();
        if clock.is_paused() {
            // Real work on the blocking pool takes real time: wait for it
            // rather than jumping virtual time past it. A job's result
            // wakes its task through the inbox, but the pool counts the job
            // done only just after: look again every millisecond.
            if self.blocking().has_pending() {
                let recheck = Duration::from_millis(1);
                self.poll_io(Some(limit.map_or(recheck, |l| l.min(recheck))));
                return;
            }
            // Auto-advance: if no I/O is pending right now, jump to the next
            // deadline (at most `limit` ahead) instead of sleeping through it.
            let events = self.poll_io(Some(Duration::ZERO));
            if events == 0 && self.is_idle() {
                let limit_us = limit.map(|d| clock.now_us().saturating_add(us_saturating(d)));
                match (next, limit_us) {
                    (Some(at), Some(cap)) => clock.advance_to(at.min(cap)),
                    (Some(at), None) => clock.advance_to(at),
                    (None, _) => {
                        self.poll_io(limit);
                    }
                }
            }
        } else {
            // Busy polling, if on, spins a while first (`busy_poll.rs`).
            let idle_since = self.spin(next, limit);
            if self.is_idle() {
                let until_timer = next.map(|at| clock.until(at));
                let timeout = match (until_timer, limit) {
                    (Some(t), Some(l)) => Some(t.min(l)),
                    (t, l) => t.or(l),
                };
                self.poll_io(timeout);
            }
            self.end_idle(idle_since);
        }
    }

    /// Step 4: polls the reactor and wakes whoever waits on the events.
    /// Returns the number of I/O events (the waker and timer tokens excluded).
    pub(crate) fn poll_io(&self, timeout: Option<Duration>) -> usize {
        let (mut wakers, n) = self.reactor().borrow_mut().poll(timeout);
        if let (Some(m), false) = (self.monitor(), wakers.is_empty()) {
            m.stamp();
        }
        let counters = self.counters();
        counters.io_events.set(counters.io_events.get() + n as u64);
        for waker in wakers.drain(..) {
            waker.wake();
        }
        self.reactor().borrow_mut().recycle(wakers);
        n
    }
}
