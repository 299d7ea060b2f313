//! Time: the loop's clock, the timer wheel, the timer subsystem that owns
//! them (`timers.rs`), and the futures built on them.

pub(crate) mod clock;
mod interval;
mod scope;
mod sleep;
mod timeout;
mod timers;
pub(crate) mod wheel;

pub(crate) use timers::{TimerPayload, Timers};

pub use interval::{interval, Interval};
pub use scope::{timeout_scope, TimeoutScope};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

use std::time::{Duration, Instant};

use crate::context;

/// The loop's clock: real time, or virtual time with a paused clock
/// (asyncio's `loop.time()`).
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn time() -> Instant {
    context::with_core("evloop::time", |core| core.timers().clock().now())
}

/// Paused clock only: moves virtual time forward by `d`, fires every timer
/// that falls due, in deadline order, then yields so the woken tasks run.
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let start = evloop::time();
///     let sleeper = evloop::spawn(evloop::sleep(Duration::from_secs(3600)));
///     evloop::advance(Duration::from_secs(3600)).await;
///     evloop::yield_now().await;
///     assert!(sleeper.is_finished());
///     assert_eq!(evloop::time() - start, Duration::from_secs(3600));
/// });
/// ```
///
/// # Panics
/// On a real clock (build the loop with `paused_clock(true)`), and outside
/// a running loop.
pub async fn advance(d: Duration) {
    context::with_core("evloop::advance", |core| {
        let clock = core.timers().clock();
        assert!(
            clock.is_paused(),
            "evloop::advance needs a paused clock, but this loop's clock is not paused: \
             build the loop with EventLoop::builder().paused_clock(true), or use evloop::sleep"
        );
        let step = d.as_nanos().div_ceil(1000).min(u64::MAX as u128) as u64;
        let target = clock.now_us().saturating_add(step);
        clock.advance_to(target);
        core.fire_timers(target);
    });
    crate::task::yield_now().await;
}
