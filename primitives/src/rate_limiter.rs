//! [`RateLimiter`]: at most `rate` acquisitions in any window of length
//! `per` (the seeds' sliding-window limiter, made exact and FIFO).
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use evloop_core::Sleep;

use crate::waiter_list::{WaiterKey, WaiterList};

/// Admits at most `rate` acquisitions in any time window of length `per`,
/// on the loop's clock (so it runs in virtual time on a paused clock).
///
/// It remembers the times of the last `rate` admissions; a new one is
/// admitted at time `t` only if the oldest of them is at least `per` before
/// `t`. Waiters are admitted in FIFO order. Only the oldest waiter sleeps
/// (until the oldest remembered admission leaves the window); when it is
/// admitted, or cancelled, the next waiter takes over.
///
/// Unlike the other primitives this one needs evloop's clock and timers:
/// it must be used inside a running evloop loop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use evloop_primitives::RateLimiter;
///
/// let lp = evloop_core::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let limiter = RateLimiter::new(2, Duration::from_secs(1));
///     let start = evloop_core::time();
///     for _ in 0..5 {
///         limiter.acquire().await;
///     }
///     // 2 at t=0, 2 at t=1s, 1 at t=2s
///     assert_eq!(evloop_core::time() - start, Duration::from_secs(2));
///     assert!(limiter.try_acquire()); // the second one at t=2s
///     assert!(!limiter.try_acquire()); // a third would break the limit
/// });
/// ```
pub struct RateLimiter {
    rate: usize,
    per: Duration,
    /// Times of the last `rate` admissions, oldest first.
    stamps: RefCell<VecDeque<Instant>>,
    /// True while some `acquire` future holds the "oldest waiter" role.
    head_taken: Cell<bool>,
    waiters: WaiterList<()>,
}

impl RateLimiter {
    /// A limiter admitting at most `rate` acquisitions per window `per`.
    ///
    /// # Panics
    ///
    /// If `rate` is 0.
    pub fn new(rate: u32, per: Duration) -> Self {
        assert!(rate > 0, "RateLimiter::new: rate must be > 0");
        let rate = rate as usize;
        RateLimiter {
            rate,
            per,
            stamps: RefCell::new(VecDeque::with_capacity(rate.min(1024))),
            head_taken: Cell::new(false),
            waiters: WaiterList::new(),
        }
    }

    /// Waits until an acquisition is allowed, then records it. FIFO;
    /// cancel-safe (a cancelled waiter records nothing and hands its place
    /// at the front to the next waiter).
    ///
    /// # Panics
    ///
    /// When polled outside a running evloop loop.
    pub fn acquire(&self) -> RateAcquire<'_> {
        RateAcquire {
            limiter: self,
            key: None,
            head: false,
            sleep: None,
        }
    }

    /// Records an acquisition if one is allowed right now and nobody is
    /// waiting.
    ///
    /// # Panics
    ///
    /// Outside a running evloop loop.
    pub fn try_acquire(&self) -> bool {
        !self.head_taken.get() && self.try_admit(evloop_core::time()).is_ok()
    }

    /// The `rate` given to [`new`](RateLimiter::new).
    pub fn rate(&self) -> u32 {
        self.rate as u32
    }

    /// The window given to [`new`](RateLimiter::new).
    pub fn per(&self) -> Duration {
        self.per
    }

    /// Number of tasks waiting in [`acquire`](RateLimiter::acquire).
    pub fn waiting(&self) -> usize {
        self.waiters.len() + usize::from(self.head_taken.get())
    }

    /// Admits at `now` if the window allows, else returns when it will.
    fn try_admit(&self, now: Instant) -> Result<(), Instant> {
        let mut stamps = self.stamps.borrow_mut();
        if stamps.len() >= self.rate {
            // A window too long for `Instant` (`Duration::MAX`) never ends:
            // wait "forever" (a thousand years), do not overflow.
            let next = stamps[0]
                .checked_add(self.per)
                .or_else(|| now.checked_add(Duration::from_secs(86_400 * 365 * 1000)))
                .unwrap_or(now);
            if now < next {
                return Err(next);
            }
            stamps.pop_front();
        }
        stamps.push_back(now);
        Ok(())
    }

    /// The head role passes to the oldest waiter, or lapses.
    fn pass_head(&self) {
        match self.waiters.notify_one(()) {
            Ok(waker) => waker.wake(),
            Err(()) => self.head_taken.set(false),
        }
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("rate", &self.rate)
            .field("per", &self.per)
            .field("waiting", &self.waiting())
            .finish()
    }
}

/// The future returned by [`RateLimiter::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct RateAcquire<'a> {
    limiter: &'a RateLimiter,
    key: Option<WaiterKey>,
    /// This future is the oldest waiter: it alone sleeps and checks.
    head: bool,
    /// The timer of the head waiter, with the deadline it was armed for.
    sleep: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl Future for RateAcquire<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let limiter = this.limiter;
        if !this.head {
            if this.key.is_some() {
                std::task::ready!(limiter.waiters.poll_notified(&mut this.key, cx.waker()));
            } else if limiter.head_taken.get() {
                this.key = Some(limiter.waiters.push(cx.waker().clone()));
                return Poll::Pending;
            } else {
                limiter.head_taken.set(true);
            }
            this.head = true;
        }
        // We are the oldest waiter.
        for _ in 0..2 {
            match limiter.try_admit(evloop_core::time()) {
                Ok(()) => {
                    this.head = false;
                    this.sleep = None;
                    limiter.pass_head();
                    return Poll::Ready(());
                }
                Err(when) => {
                    let sleep = match &mut this.sleep {
                        Some((deadline, sleep)) if *deadline == when => sleep,
                        _ => &mut this.sleep.insert((when, Box::pin(evloop_core::sleep_until(when)))).1,
                    };
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
        }
        // The clock disagreed with a fired timer twice: yield, then re-check.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for RateAcquire<'_> {
    fn drop(&mut self) {
        let was_handed_head = self.limiter.waiters.remove(&mut self.key).is_some();
        if self.head || was_handed_head {
            self.limiter.pass_head();
        }
    }
}

impl fmt::Debug for RateAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateAcquire")
            .field("queued", &self.key.is_some())
            .field("head", &self.head)
            .finish()
    }
}
