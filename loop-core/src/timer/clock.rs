//! The loop's clock: real (`Instant::now`) or paused (virtual time that only
//! moves when the loop is idle or when `advance` is called).
//!
//! Timer deadlines are kept as microseconds since the clock's origin.
//! Deadlines round *up* to the next microsecond and the current time rounds
//! *down*, so a timer can fire late by under a microsecond of rounding but
//! never early.

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::wheel::MAX_DEADLINE;

/// `t + d`, or a time so far ahead (a thousand years) that it never comes
/// when `t + d` would overflow `Instant`: `sleep(Duration::MAX)` and
/// `interval(Duration::MAX)` mean "never", not a panic.
pub(crate) fn instant_after(t: Instant, d: Duration) -> Instant {
    const NEVER: Duration = Duration::from_secs(86_400 * 365 * 1000);
    t.checked_add(d).or_else(|| t.checked_add(NEVER)).unwrap_or(t)
}

pub(crate) struct Clock {
    origin: Instant,
    paused: bool,
    virtual_us: Cell<u64>,
}

impl Clock {
    pub(crate) fn new(paused: bool) -> Clock {
        Clock {
            origin: Instant::now(),
            paused,
            virtual_us: Cell::new(0),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused
    }

    /// Now, as an `Instant`.
    pub(crate) fn now(&self) -> Instant {
        if self.paused {
            self.origin + Duration::from_micros(self.virtual_us.get())
        } else {
            Instant::now()
        }
    }

    /// Now, in whole microseconds since the origin (rounded down).
    #[inline]
    pub(crate) fn now_us(&self) -> u64 {
        if self.paused {
            self.virtual_us.get()
        } else {
            let since = Instant::now().saturating_duration_since(self.origin);
            // u64 arithmetic: `as_micros` goes through u128.
            since.as_secs() * 1_000_000 + u64::from(since.subsec_micros())
        }
    }

    /// A deadline in microseconds since the origin, rounded up.
    #[inline]
    pub(crate) fn deadline_us(&self, when: Instant) -> u64 {
        us_rounded_up(when.saturating_duration_since(self.origin))
    }

    /// The instant `us` microseconds after the origin.
    pub(crate) fn instant_at(&self, us: u64) -> Instant {
        self.origin + Duration::from_micros(us)
    }

    /// How long from now until `us`, in real time.
    pub(crate) fn until(&self, us: u64) -> Duration {
        (self.origin + Duration::from_micros(us)).saturating_duration_since(Instant::now())
    }

    /// Paused clock only: moves virtual time to `us` if that is later.
    pub(crate) fn advance_to(&self, us: u64) {
        debug_assert!(self.paused);
        if us > self.virtual_us.get() {
            self.virtual_us.set(us);
        }
    }
}

/// `d` in whole microseconds, rounded up (a timer is never early), at most
/// the wheel's horizon. u64 arithmetic: `as_nanos` goes through u128, whose
/// division is a library call, and timers are armed on hot paths.
#[inline]
pub(crate) fn us_rounded_up(d: Duration) -> u64 {
    let secs = d.as_secs().min(MAX_DEADLINE / 1_000_000);
    secs * 1_000_000 + u64::from(d.subsec_nanos().div_ceil(1000))
}

/// `d` in whole microseconds, rounded down, saturating at `u64::MAX` (for
/// limits and thresholds given as a `Duration`).
pub(crate) fn us_saturating(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}
