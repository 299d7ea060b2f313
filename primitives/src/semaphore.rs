//! [`Semaphore`] and its RAII [`SemaphorePermit`].
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::waiter_list::{WaiterKey, WaiterList};

/// A counting semaphore (asyncio's `Semaphore`).
///
/// [`acquire`](Semaphore::acquire) waits for a permit and returns a
/// [`SemaphorePermit`] that gives it back on drop. Waiters are served in FIFO
/// order; a released permit is handed straight to the oldest waiter, and if
/// that waiter is cancelled first the permit moves on to the next one.
///
/// # Examples
///
/// ```
/// use evloop_primitives::Semaphore;
/// # futures::executor::block_on(async {
/// let sem = Semaphore::new(2);
/// let a = sem.acquire().await;
/// let _b = sem.acquire().await;
/// assert!(sem.try_acquire().is_none());
/// drop(a);
/// assert_eq!(sem.available_permits(), 1);
/// # });
/// ```
pub struct Semaphore {
    permits: Cell<usize>,
    /// Highest permit count a returned permit may restore
    /// (`usize::MAX` except for a `BoundedSemaphore`).
    bound: usize,
    waiters: WaiterList<()>,
}

impl Semaphore {
    /// A semaphore with `permits` permits available.
    pub const fn new(permits: usize) -> Self {
        Semaphore::with_bound(permits, usize::MAX)
    }

    pub(crate) const fn with_bound(permits: usize, bound: usize) -> Self {
        Semaphore {
            permits: Cell::new(permits),
            bound,
            waiters: WaiterList::new(),
        }
    }

    /// Waits for a permit. Strict FIFO: queues behind earlier waiters even if
    /// a permit is free. Cancel-safe.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire { sem: self, key: None }
    }

    /// Takes a permit if one is free (and, as always, nobody is queued).
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        let n = self.permits.get();
        if n > 0 {
            self.permits.set(n - 1);
            Some(SemaphorePermit { sem: self })
        } else {
            None
        }
    }

    /// Permits that could be acquired right now without waiting.
    pub fn available_permits(&self) -> usize {
        self.permits.get()
    }

    /// Number of tasks waiting in [`acquire`](Semaphore::acquire).
    pub fn waiters(&self) -> usize {
        self.waiters.len()
    }

    /// Adds one permit (wakes the oldest waiter if there is one). Useful
    /// after [`SemaphorePermit::forget`].
    pub fn release(&self) {
        self.give_back();
    }

    /// Returns one permit: handed to the oldest waiter, or added to the pool
    /// if that stays within the bound. Returns false if the bound was hit.
    /// Invariant kept: `permits > 0` implies no waiter is queued.
    pub(crate) fn give_back(&self) -> bool {
        let n = self.permits.get();
        if n >= self.bound {
            return false;
        }
        match self.waiters.notify_one(()) {
            Ok(waker) => waker.wake(),
            Err(()) => self.permits.set(n + 1),
        }
        true
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.permits.get())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

/// The future returned by [`Semaphore::acquire`] (and
/// [`BoundedSemaphore::acquire`](crate::BoundedSemaphore::acquire)).
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    sem: &'a Semaphore,
    key: Option<WaiterKey>,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = self.get_mut();
        let sem = this.sem;
        if this.key.is_none() {
            let n = sem.permits.get();
            if n > 0 {
                sem.permits.set(n - 1);
                return Poll::Ready(SemaphorePermit { sem });
            }
            this.key = Some(sem.waiters.push(cx.waker().clone()));
            return Poll::Pending;
        }
        match sem.waiters.poll_notified(&mut this.key, cx.waker()) {
            Poll::Ready(()) => Poll::Ready(SemaphorePermit { sem }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.sem.waiters.remove(&mut self.key).is_some() {
            // A permit was handed to us but never used: pass it on.
            self.sem.give_back();
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("queued", &self.key.is_some()).finish()
    }
}

/// One permit of a [`Semaphore`]; returned to it on drop.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Consumes the permit without giving it back (the semaphore's capacity
    /// shrinks by one until [`Semaphore::release`] adds it again).
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        // On a BoundedSemaphore that was over-released by hand this may hit
        // the bound; the surplus permit is then discarded.
        self.sem.give_back();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;
    use std::rc::Rc;

    #[test]
    fn caps_concurrency_fifo() {
        let sem = Rc::new(Semaphore::new(3));
        let running = counter();
        let max = counter();
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let mut sim = Sim::new(3);
        for i in 0..10 {
            let (sem, running, max, order) = (sem.clone(), running.clone(), max.clone(), order.clone());
            sim.spawn(async move {
                let _p = sem.acquire().await;
                order.borrow_mut().push(i);
                running.set(running.get() + 1);
                max.set(max.get().max(running.get()));
                yields(2).await;
                running.set(running.get() - 1);
            });
        }
        sim.run_until_stalled();
        assert_eq!(max.get(), 3);
        assert_eq!(sem.available_permits(), 3);
        assert_eq!(order.borrow().len(), 10);
    }

    #[test]
    fn forget_and_release() {
        let sem = Semaphore::new(1);
        sem.try_acquire().unwrap().forget();
        assert_eq!(sem.available_permits(), 0);
        sem.release();
        sem.release();
        assert_eq!(sem.available_permits(), 2);
    }

    #[test]
    fn cancellation_stress() {
        for seed in 0..20 {
            const PERMITS: usize = 4;
            let sem = Rc::new(Semaphore::new(PERMITS));
            let held = counter();
            let done = counter();
            let mut sim = Sim::new(seed);
            let mut ids = Vec::new();
            for _ in 0..500 {
                let (sem, held, done) = (sem.clone(), held.clone(), done.clone());
                let spins = sim.rng.below(4);
                ids.push(sim.spawn(async move {
                    for _ in 0..2 {
                        let permit = sem.acquire().await;
                        let h = Held::new(&held);
                        assert!(held.get() <= PERMITS);
                        yields(spins).await;
                        drop(h);
                        drop(permit);
                        done.set(done.get() + 1);
                    }
                }));
            }
            let cancelled = sim.run_with_cancellation(4, &ids);
            assert!(cancelled > 10);
            assert_eq!(sim.alive(), 0);
            assert_eq!(sem.available_permits(), PERMITS, "seed {seed}");
            assert_eq!(sem.waiters(), 0);
            assert!(done.get() > 0);
        }
    }
}
