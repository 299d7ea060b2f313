//! A process-wide millisecond clock for slow-poll detection.
//!
//! Detecting a poll that blocks the loop for 100 ms does not need a
//! nanosecond clock on every poll. While at least one loop needs it, a ticker
//! thread stores the time (µs since the clock started) in an atomic about
//! every millisecond; timing a poll is then one relaxed atomic load, ~1 ns,
//! instead of a counter read (~10 ns on a VM). Readings are up to a tick
//! (plus the OS's timer slack) behind the true time.
//!
//! The ticker starts with the first [`CoarseClock`] handle and exits within
//! a tick after the last one is dropped.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(1);

static NOW_US: AtomicU64 = AtomicU64::new(0);
static USERS: AtomicUsize = AtomicUsize::new(0);
static TICKER: Mutex<bool> = Mutex::new(false);

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// The exact time on the coarse clock's scale.
pub(crate) fn exact_now_us() -> u64 {
    base().elapsed().as_micros() as u64
}

/// Keeps the ticker running while alive.
pub(crate) struct CoarseClock {
    _private: (),
}

impl CoarseClock {
    /// How often the ticker updates the clock, in µs.
    pub(crate) const TICK_US: u64 = TICK.as_micros() as u64;

    pub(crate) fn acquire() -> CoarseClock {
        NOW_US.store(exact_now_us(), Ordering::Relaxed);
        USERS.fetch_add(1, Ordering::AcqRel);
        let mut running = TICKER.lock().unwrap_or_else(|p| p.into_inner());
        if !*running {
            *running = true;
            let spawned = std::thread::Builder::new()
                .name("evloop-coarse-clock".into())
                .spawn(|| loop {
                    std::thread::sleep(TICK);
                    NOW_US.store(exact_now_us(), Ordering::Relaxed);
                    if USERS.load(Ordering::Acquire) == 0 {
                        let mut running = TICKER.lock().unwrap_or_else(|p| p.into_inner());
                        // A new user may have arrived while we took the lock.
                        if USERS.load(Ordering::Acquire) == 0 {
                            *running = false;
                            return;
                        }
                    }
                });
            if spawned.is_err() {
                // No thread: readings stay at the acquire time, so slow polls
                // go unreported rather than the loop failing.
                *running = false;
            }
        }
        CoarseClock { _private: () }
    }

    /// Microseconds since the clock started, up to a tick behind.
    #[inline]
    pub(crate) fn now_us(&self) -> u64 {
        NOW_US.load(Ordering::Relaxed)
    }
}

impl Drop for CoarseClock {
    fn drop(&mut self) {
        USERS.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_advances_while_held() {
        let clock = CoarseClock::acquire();
        let a = clock.now_us();
        std::thread::sleep(Duration::from_millis(20));
        let b = clock.now_us();
        assert!(b >= a + 10_000, "advanced only {} µs in 20 ms", b - a);
        drop(clock);
    }
}
