//! `interval`: a periodic timer that skips missed ticks.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::clock::instant_after;
use super::sleep::{sleep_until, Sleep};

/// Ticks every `period`; the first tick completes at once.
///
/// When the loop falls behind (a tick is awaited late), the missed ticks
/// are skipped rather than fired in a burst: the next tick lands on the next
/// multiple of `period` after now.
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let mut every = evloop::interval(Duration::from_secs(1));
///     let start = every.tick().await;
///     assert_eq!(every.tick().await - start, Duration::from_secs(1));
///     assert_eq!(every.tick().await - start, Duration::from_secs(2));
/// });
/// ```
///
/// # Panics
/// If `period` is zero; a tick awaited outside a running loop panics
/// ("no running event loop").
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "evloop::interval: the period must be greater than zero"
    );
    Interval {
        period,
        next: crate::context::try_with_core(|core| core.timers().clock().now()),
        sleep: None,
    }
}

/// The timer returned by [`interval`].
pub struct Interval {
    period: Duration,
    /// The next tick; `None` until the first tick of an interval built
    /// outside a loop (that first tick is then the first poll).
    next: Option<Instant>,
    sleep: Option<Sleep>,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// The poll form of [`tick`](Self::tick).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let next = *self.next.get_or_insert_with(super::time);
        let sleep = self.sleep.get_or_insert_with(|| sleep_until(next));
        if Pin::new(sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.sleep = None;
        let now = super::time();
        let mut following = instant_after(next, self.period);
        if following <= now {
            // Skip the ticks we missed; land on the period grid after now.
            let behind = (now - next).as_nanos();
            let periods = behind / self.period.as_nanos() + 1;
            let step = self.period.as_nanos() * periods;
            following = instant_after(next, Duration::from_nanos(step.min(u64::MAX as u128) as u64));
        }
        self.next = Some(following);
        Poll::Ready(next)
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the interval: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.sleep = None;
        self.next = Some(instant_after(super::time(), self.period));
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("period", &self.period)
            .field("next", &self.next)
            .finish()
    }
}
