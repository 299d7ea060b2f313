//! Busy polling (`Builder::busy_poll`): before step 4 of the tick sleeps in
//! `epoll_wait`, poll for I/O without waiting for a short while, so that
//! work arriving within that window is seen without paying for a wakeup
//! (an interrupt, a context switch, a core leaving its idle state).
//!
//! **When to spin.** Spinning pays only when work tends to arrive soon after
//! the loop goes idle, as under a stream of requests. So the loop keeps a
//! small credit: every idle period that ends with work (an I/O event that
//! woke a task, a message from another thread) arriving within the window
//! refills it to [`PATIENCE`]; every other idle period — the spin ran out,
//! a timer ended the sleep, or work came only after a longer sleep — uses
//! one up. The loop spins only while it has credit. A loop that has been
//! idle for a while has none left, so a timer waking it does not start a
//! spin: at most `PATIENCE` fruitless spins follow the end of the traffic.
//! A new loop starts with none; the first request that comes soon after the
//! loop went to sleep turns spinning on.
//!
//! **How long.** A spin lasts the window at most, never past the next timer
//! deadline nor the caller's limit (`run_once`), and ends at once when
//! anything is ready: an I/O event that woke a task, a wake or message from
//! another thread (the inbox flag), seen between two zero-timeout polls.
//! Between polls the loop yields its core (`sched_yield`), so on a machine
//! with more runnable threads than cores the spin mostly takes time nobody
//! else wanted; under `redis-benchmark` on a loaded 2-core machine that did
//! somewhat better than a pure spin (about 10% plain, 3% pipelined), and
//! the same on a quiet one.
//!
//! A paused clock never spins: virtual time jumps to the next deadline as
//! before.

use std::cell::Cell;
use std::time::Duration;

use crate::core::Core;
use crate::timer::clock::us_saturating;

/// How many idle periods in a row may end without quick work before the
/// loop stops spinning.
pub(crate) const PATIENCE: u8 = 4;

/// The spin policy: the window and the credit.
pub(crate) struct BusyPoll {
    /// The longest spin, in microseconds; 0: busy polling is off.
    window_us: u64,
    /// How many more idle periods may spin without work arriving within the
    /// window, `0..=PATIENCE`.
    credit: Cell<u8>,
}

impl BusyPoll {
    pub(crate) fn new(window: Duration) -> BusyPoll {
        BusyPoll {
            window_us: us_saturating(window),
            credit: Cell::new(0),
        }
    }

    /// Whether busy polling is on.
    #[inline]
    pub(crate) fn is_on(&self) -> bool {
        self.window_us > 0
    }

    /// The loop went idle at `now_us`: until when it should spin, or `None`
    /// if it should sleep at once.
    pub(crate) fn spin_until(&self, now_us: u64) -> Option<u64> {
        (self.is_on() && self.credit.get() > 0).then(|| now_us.saturating_add(self.window_us))
    }

    /// An idle period that began at `since_us` ended at `now_us`, with work
    /// ready or without.
    pub(crate) fn idle_ended(&self, since_us: u64, now_us: u64, work: bool) {
        let quick = work && now_us.saturating_sub(since_us) <= self.window_us;
        let credit = match quick {
            true => PATIENCE,
            false => self.credit.get().saturating_sub(1),
        };
        self.credit.set(credit);
    }
}

impl Core {
    /// Step 4, real clock, before sleeping: spins if the policy says so
    /// (see the module doc), at most until `next_deadline` and `limit`.
    /// Returns when the idle period began, for [`Core::end_idle`]; `None`
    /// when busy polling is off.
    pub(crate) fn spin(&self, next_deadline: Option<u64>, limit: Option<Duration>) -> Option<u64> {
        let policy = self.busy_poll();
        if !policy.is_on() {
            return None;
        }
        let clock = self.timers().clock();
        let since = clock.now_us();
        let Some(mut until) = policy.spin_until(since) else {
            return Some(since);
        };
        if let Some(at) = next_deadline {
            until = until.min(at);
        }
        if let Some(limit) = limit {
            until = until.min(since.saturating_add(us_saturating(limit)));
        }
        if until <= since {
            return Some(since);
        }
        let counters = self.counters();
        counters.busy_poll_spins.set(counters.busy_poll_spins.get() + 1);
        loop {
            // Without I/O sources only the inbox flag can change, and it is
            // read without a system call.
            if self.reactor().borrow().has_sources() {
                self.poll_io(Some(Duration::ZERO));
            }
            if !self.is_idle() {
                counters.busy_poll_hits.set(counters.busy_poll_hits.get() + 1);
                break;
            }
            if clock.now_us() >= until {
                break;
            }
            // Give the core to any other thread waiting for it (on a busy
            // machine, often the very client whose request is awaited); on
            // an idle core this returns at once.
            std::thread::yield_now();
        }
        Some(since)
    }

    /// Step 4, real clock, after the spin and the sleep: tells the policy
    /// how the idle period that began at `since` (from [`Core::spin`])
    /// ended.
    pub(crate) fn end_idle(&self, since: Option<u64>) {
        if let Some(since) = since {
            let now = self.timers().clock().now_us();
            self.busy_poll().idle_ended(since, now, !self.is_idle());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_micros(50);

    #[test]
    fn off_never_spins() {
        let policy = BusyPoll::new(Duration::ZERO);
        policy.idle_ended(0, 1, true);
        assert!(!policy.is_on());
        assert_eq!(policy.spin_until(10), None);
    }

    #[test]
    fn a_new_loop_sleeps_until_work_comes_quickly() {
        let policy = BusyPoll::new(WINDOW);
        assert_eq!(policy.spin_until(0), None, "no credit yet");
        // Work after a long sleep: still no reason to spin.
        policy.idle_ended(0, 1_000, true);
        assert_eq!(policy.spin_until(1_000), None);
        // Work 30 µs after going idle: a spin would have caught it.
        policy.idle_ended(2_000, 2_030, true);
        assert_eq!(policy.spin_until(3_000), Some(3_050));
    }

    #[test]
    fn fruitless_idle_periods_use_up_the_credit() {
        let policy = BusyPoll::new(WINDOW);
        policy.idle_ended(0, 10, true);
        let mut now = 100;
        for _ in 0..PATIENCE {
            assert!(policy.spin_until(now).is_some());
            // The spin ran out, then a timer ended the sleep.
            policy.idle_ended(now, now + 5_000, false);
            now += 10_000;
        }
        // Idle for good: timer wakeups no longer spin, however many.
        for _ in 0..100 {
            assert_eq!(policy.spin_until(now), None);
            policy.idle_ended(now, now + 5_000, false);
            now += 10_000;
        }
    }

    #[test]
    fn one_quick_arrival_refills_the_credit() {
        let policy = BusyPoll::new(WINDOW);
        policy.idle_ended(0, 10, true);
        for i in 0..u64::from(PATIENCE) - 1 {
            policy.idle_ended(i * 1_000, i * 1_000 + 900, false);
        }
        assert_eq!(policy.credit.get(), 1);
        policy.idle_ended(10_000, 10_050, true); // exactly the window: caught
        assert_eq!(policy.credit.get(), PATIENCE);
    }

    #[test]
    fn slow_work_counts_as_a_miss() {
        let policy = BusyPoll::new(WINDOW);
        policy.idle_ended(0, 10, true);
        // Requests 1 ms apart: each spin runs out before the next one.
        for i in 0..u64::from(PATIENCE) {
            assert!(policy.spin_until(i * 1_000).is_some());
            policy.idle_ended(i * 1_000, i * 1_000 + 1_000, true);
        }
        assert_eq!(
            policy.spin_until(10_000),
            None,
            "spinning for them costs CPU and gains nothing"
        );
    }

    #[test]
    fn a_huge_window_saturates() {
        let policy = BusyPoll::new(Duration::MAX);
        policy.idle_ended(0, 10, true);
        assert_eq!(policy.spin_until(5), Some(u64::MAX));
    }
}
