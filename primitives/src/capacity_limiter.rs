//! [`CapacityLimiter`]: a semaphore whose size can change (trio/anyio's
//! `CapacityLimiter`).
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::waiter_list::{WaiterKey, WaiterList};

/// Limits how many tasks may hold a token at once; the limit can be changed
/// at run time (trio's and anyio's `CapacityLimiter`).
///
/// Raising the limit with [`set_total_tokens`](CapacityLimiter::set_total_tokens)
/// hands the new tokens to waiting tasks at once (FIFO). Lowering it below
/// the number of tokens borrowed takes effect as tokens come back. A total of
/// 0 is allowed and means "admit nobody".
///
/// # Examples
///
/// ```
/// use evloop_primitives::CapacityLimiter;
///
/// let limiter = CapacityLimiter::new(1);
/// let t = limiter.try_acquire().unwrap();
/// assert!(limiter.try_acquire().is_none());
/// limiter.set_total_tokens(2);
/// assert_eq!(limiter.available_tokens(), 1);
/// drop(t);
/// assert_eq!(limiter.borrowed_tokens(), 0);
/// ```
pub struct CapacityLimiter {
    total: Cell<usize>,
    borrowed: Cell<usize>,
    waiters: WaiterList<()>,
}

impl CapacityLimiter {
    /// A limiter lending at most `total` tokens at a time.
    pub const fn new(total: usize) -> Self {
        CapacityLimiter {
            total: Cell::new(total),
            borrowed: Cell::new(0),
            waiters: WaiterList::new(),
        }
    }

    /// Waits for a token (FIFO, cancel-safe); it goes back on drop.
    pub fn acquire(&self) -> CapacityAcquire<'_> {
        CapacityAcquire {
            limiter: self,
            key: None,
        }
    }

    /// Borrows a token if one is free.
    pub fn try_acquire(&self) -> Option<CapacityToken<'_>> {
        let b = self.borrowed.get();
        if b < self.total.get() {
            self.borrowed.set(b + 1);
            Some(CapacityToken { limiter: self })
        } else {
            None
        }
    }

    /// Changes the limit. Tokens made available are handed to waiters at
    /// once, oldest first.
    pub fn set_total_tokens(&self, total: usize) {
        self.total.set(total);
        while self.borrowed.get() < self.total.get() {
            match self.waiters.notify_one(()) {
                Ok(waker) => {
                    self.borrowed.set(self.borrowed.get() + 1);
                    waker.wake();
                }
                Err(()) => break,
            }
        }
    }

    /// The current limit.
    pub fn total_tokens(&self) -> usize {
        self.total.get()
    }

    /// Tokens lent out (including tokens handed to woken waiters that have
    /// not run yet).
    pub fn borrowed_tokens(&self) -> usize {
        self.borrowed.get()
    }

    /// Tokens that could be borrowed right now.
    pub fn available_tokens(&self) -> usize {
        self.total.get().saturating_sub(self.borrowed.get())
    }

    /// Number of tasks waiting for a token.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// A token came back: hand it to the oldest waiter if the limit allows,
    /// otherwise return it. Invariant: tokens available implies no waiter.
    fn give_back(&self) {
        let b = self.borrowed.get();
        if b <= self.total.get() {
            if let Ok(waker) = self.waiters.notify_one(()) {
                waker.wake();
                return;
            }
        }
        self.borrowed.set(b - 1);
    }
}

impl fmt::Debug for CapacityLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacityLimiter")
            .field("total", &self.total.get())
            .field("borrowed", &self.borrowed.get())
            .field("waiting", &self.waiters.len())
            .finish()
    }
}

/// The future returned by [`CapacityLimiter::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct CapacityAcquire<'a> {
    limiter: &'a CapacityLimiter,
    key: Option<WaiterKey>,
}

impl<'a> Future for CapacityAcquire<'a> {
    type Output = CapacityToken<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CapacityToken<'a>> {
        let this = self.get_mut();
        let limiter = this.limiter;
        if this.key.is_none() {
            if let Some(token) = limiter.try_acquire() {
                return Poll::Ready(token);
            }
            this.key = Some(limiter.waiters.push(cx.waker().clone()));
            return Poll::Pending;
        }
        match limiter.waiters.poll_notified(&mut this.key, cx.waker()) {
            Poll::Ready(()) => Poll::Ready(CapacityToken { limiter }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for CapacityAcquire<'_> {
    fn drop(&mut self) {
        if self.limiter.waiters.remove(&mut self.key).is_some() {
            self.limiter.give_back();
        }
    }
}

impl fmt::Debug for CapacityAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacityAcquire")
            .field("queued", &self.key.is_some())
            .finish()
    }
}

/// A token borrowed from a [`CapacityLimiter`]; returned on drop.
#[must_use = "the token is returned as soon as it is dropped"]
pub struct CapacityToken<'a> {
    limiter: &'a CapacityLimiter,
}

impl Drop for CapacityToken<'_> {
    fn drop(&mut self) {
        self.limiter.give_back();
    }
}

impl fmt::Debug for CapacityToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacityToken").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;
    use std::rc::Rc;

    #[test]
    fn raising_total_wakes_waiters_at_once() {
        let lim = Rc::new(CapacityLimiter::new(1));
        let t = lim.try_acquire().unwrap();
        let got = counter();
        let mut sim = Sim::new(9);
        for _ in 0..4 {
            let (lim, got) = (lim.clone(), got.clone());
            sim.spawn(async move {
                let _t = lim.acquire().await;
                got.set(got.get() + 1);
                std::future::pending::<()>().await;
            });
        }
        sim.run_until_stalled();
        assert_eq!(lim.waiting(), 4);
        lim.set_total_tokens(3);
        assert_eq!(lim.waiting(), 2);
        assert_eq!(lim.borrowed_tokens(), 3);
        sim.run_until_stalled();
        assert_eq!(got.get(), 2);
        // Lowering: returned tokens are not handed on until below the limit.
        lim.set_total_tokens(1);
        drop(t);
        assert_eq!(lim.borrowed_tokens(), 2);
        assert_eq!(lim.waiting(), 2);
        assert_eq!(lim.available_tokens(), 0);
    }

    #[test]
    fn cancellation_stress() {
        for seed in 0..20 {
            let lim = Rc::new(CapacityLimiter::new(3));
            let held = counter();
            let mut sim = Sim::new(seed);
            let mut ids = Vec::new();
            for i in 0..500 {
                let (lim, held) = (lim.clone(), held.clone());
                let spins = sim.rng.below(3);
                ids.push(sim.spawn(async move {
                    let _t = lim.acquire().await;
                    let _h = Held::new(&held);
                    assert!(held.get() <= lim.total_tokens().max(3));
                    if i % 50 == 0 {
                        lim.set_total_tokens(1 + i % 4);
                    }
                    yields(spins).await;
                }));
            }
            sim.run_with_cancellation(5, &ids);
            assert_eq!(sim.alive(), 0);
            assert_eq!(lim.borrowed_tokens(), 0, "seed {seed}");
            assert_eq!(lim.waiting(), 0);
        }
    }
}
