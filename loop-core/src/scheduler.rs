//! The tick: one turn of the loop (asyncio's `_run_once`).
//!
//! 1. **Timers**: read the clock once and fire every timer that is due
//!    (`timer/wheel.rs`); a fired `sleep` wakes its task, a fired
//!    `call_later` queues its callback.
//! 2. **Remote queue**: take what other threads sent — wakes,
//!    `call_soon_threadsafe` callbacks, `stop` (`remote/`).
//! 3. **Run**: pop exactly as many entries as the run queue held when this
//!    step began, and poll / run each (`core.rs`). Anything made ready now —
//!    a task waking itself, a `call_soon` from a callback — goes to the back
//!    of the queue and waits for the next tick, so timers and I/O are looked
//!    at between any two polls of the same task.
//! 4. **I/O**: poll mio (`reactor/`). If work is queued, or the loop must
//!    stop, the poll does not wait (and is skipped when no I/O source is
//!    registered, since wakes from other threads are seen through the remote
//!    flag). Otherwise it sleeps until the next timer deadline — with a
//!    timerfd for sub-millisecond precision — or until an event or a remote
//!    wake arrives. With a paused clock, an idle loop instead jumps virtual
//!    time to the next deadline.

use std::task::Context;
use std::time::Duration;

use crate::core::{Core, Ready};

/// How a tick treats the `block_on` future when the run queue reaches it.
pub(crate) type MainPoll<'a> = &'a mut dyn FnMut(&mut Context<'_>) -> bool;

impl Core {
    /// Runs one tick. `main` polls the `block_on` future and returns true
    /// once it is complete. `may_block` false keeps the I/O poll from waiting.
    /// Returns true if `main` completed during this tick.
    pub(crate) fn tick(&self, mut main: Option<(MainPoll<'_>, &std::task::Waker)>, may_block: bool) -> bool {
        self.counters.ticks.set(self.counters.ticks.get() + 1);

        // 1. Timers.
        if !self.timers.borrow().is_empty() {
            self.fire_timers(self.clock.now_us());
        }

        // 2. Remote queue.
        self.drain_remote();

        // 3. Run what was ready when this step began.
        let mut main_done = false;
        let running_forever = main.is_none();
        let n = self.ready.borrow().len();
        let monitor = self.monitor.as_deref();
        if let Some(m) = monitor {
            m.run_step(n);
        }
        for _ in 0..n {
            let Some(item) = self.ready.borrow_mut().pop_front() else {
                break;
            };
            match item {
                Ready::Task { slot, generation } => self.run_task(slot, generation),
                Ready::Callback(cell) => {
                    self.run_callback(&cell);
                    if let Some(m) = monitor {
                        m.stamp();
                    }
                }
                Ready::Main => {
                    self.clear_main_scheduled();
                    if let Some((poll, waker)) = main.as_mut() {
                        self.counters.polls.set(self.counters.polls.get() + 1);
                        main_done |= poll(&mut Context::from_waker(waker));
                    }
                    if let Some(m) = monitor {
                        m.stamp();
                    }
                }
            }
        }

        // 4. I/O, waiting only if there is nothing else to do.
        // A stop request ends run_forever; block_on ignores it (and must not
        // spin on it), leaving it for the next run_forever.
        let busy = main_done
            || !may_block
            || (running_forever && self.stop_requested.get())
            || !self.ready.borrow().is_empty()
            || self.remote.is_notified();
        if busy {
            if self.reactor.borrow().has_sources() {
                self.poll_io(Some(Duration::ZERO));
            }
        } else {
            self.wait_idle();
        }
        main_done
    }

    /// Nothing is ready: sleep until a deadline, an event or a remote wake.
    fn wait_idle(&self) {
        let next = self.timers.borrow().next_deadline();
        if self.clock.is_paused() {
            // Real work on the blocking pool takes real time: wait for it
            // rather than jumping virtual time past it.
            if self.blocking_pending() {
                self.poll_io(None);
                return;
            }
            // Auto-advance: if no I/O is pending right now, jump to the next
            // deadline instead of sleeping through it.
            let events = self.poll_io(Some(Duration::ZERO));
            if events == 0 && self.ready.borrow().is_empty() && !self.remote.is_notified() {
                match next {
                    Some(at) => self.clock.advance_to(at),
                    None => {
                        self.poll_io(None);
                    }
                }
            }
        } else {
            let timeout = next.map(|at| self.clock.until(at));
            self.poll_io(timeout);
        }
    }

    /// Polls the reactor and wakes whoever waits on the events. Returns the
    /// number of I/O events (the waker and timer tokens excluded).
    pub(crate) fn poll_io(&self, timeout: Option<Duration>) -> usize {
        let (mut wakers, n) = self.reactor.borrow_mut().poll(timeout);
        if let (Some(m), false) = (&self.monitor, wakers.is_empty()) {
            m.stamp();
        }
        self.counters.io_events.set(self.counters.io_events.get() + n as u64);
        for waker in wakers.drain(..) {
            waker.wake();
        }
        self.reactor.borrow_mut().recycle(wakers);
        n
    }
}
