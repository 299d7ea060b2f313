//! [`Lock`]: an async mutex that owns its data, like `asyncio.Lock` with the
//! protected value inside.
use std::cell::{Cell, RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::waiter_list::{WaiterKey, WaiterList};

/// An async mutual-exclusion lock protecting a `T` (asyncio's `Lock`).
///
/// Waiters are served strictly first come, first served: a new [`lock`]
/// queues behind the tasks already waiting even when the lock looks free,
/// and unlocking hands the lock straight to the oldest waiter. If that waiter
/// is cancelled (its future dropped) before it runs, the lock passes on to
/// the next one, so a hand-off is never lost.
///
/// Single-threaded: share it with `Rc`, not `Arc`.
///
/// [`lock`]: Lock::lock
///
/// # Examples
///
/// ```
/// use evloop_primitives::Lock;
/// # futures::executor::block_on(async {
/// let lock = Lock::new(0);
/// {
///     let mut n = lock.lock().await;
///     *n += 1;
/// } // unlocked here
/// assert_eq!(*lock.lock().await, 1);
/// # });
/// ```
pub struct Lock<T: ?Sized> {
    locked: Cell<bool>,
    waiters: WaiterList<()>,
    data: RefCell<T>,
}

impl<T> Lock<T> {
    /// A new, unlocked lock holding `value`.
    pub const fn new(value: T) -> Self {
        Lock {
            locked: Cell::new(false),
            waiters: WaiterList::new(),
            data: RefCell::new(value),
        }
    }

    /// Consumes the lock and returns the value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Lock<T> {
    /// Waits for the lock and returns a guard that unlocks on drop.
    ///
    /// Cancel-safe: dropping the future before it completes gives up its
    /// place in the queue; if the lock had already been handed to it, the
    /// lock passes on to the next waiter.
    pub fn lock(&self) -> LockFuture<'_, T> {
        LockFuture { lock: self, key: None }
    }

    /// Takes the lock if it is free and nobody is queued for it.
    pub fn try_lock(&self) -> Option<LockGuard<'_, T>> {
        if self.locked.get() {
            None
        } else {
            self.locked.set(true);
            Some(self.guard())
        }
    }

    /// True while some task holds the lock or it is being handed to a waiter.
    pub fn is_locked(&self) -> bool {
        self.locked.get()
    }

    /// Mutable access without locking (the `&mut` proves nobody else can).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn guard(&self) -> LockGuard<'_, T> {
        LockGuard {
            data: self.data.borrow_mut(),
            unlock: Unlocker { lock: self },
        }
    }

    /// Hands the lock to the oldest waiter, or marks it free.
    /// Invariant kept: `!locked` implies no waiter is queued.
    fn unlock(&self) {
        match self.waiters.notify_one(()) {
            Ok(waker) => waker.wake(),
            Err(()) => self.locked.set(false),
        }
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::new(T::default())
    }
}

impl<T> From<T> for Lock<T> {
    fn from(value: T) -> Self {
        Lock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Lock");
        d.field("locked", &self.locked.get())
            .field("waiters", &self.waiters.len());
        match self.data.try_borrow() {
            Ok(data) if !self.locked.get() => d.field("data", &&*data),
            _ => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// The future returned by [`Lock::lock`].
#[must_use = "futures do nothing unless awaited"]
pub struct LockFuture<'a, T: ?Sized> {
    lock: &'a Lock<T>,
    key: Option<WaiterKey>,
}

impl<'a, T: ?Sized> Future for LockFuture<'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = self.get_mut();
        let lock = this.lock;
        if this.key.is_none() {
            if !lock.locked.get() {
                lock.locked.set(true);
                return Poll::Ready(lock.guard());
            }
            this.key = Some(lock.waiters.push(cx.waker().clone()));
            return Poll::Pending;
        }
        match lock.waiters.poll_notified(&mut this.key, cx.waker()) {
            Poll::Ready(()) => Poll::Ready(lock.guard()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: ?Sized> Drop for LockFuture<'_, T> {
    fn drop(&mut self) {
        if self.lock.waiters.remove(&mut self.key).is_some() {
            // We were handed the lock but will never use it: pass it on.
            self.lock.unlock();
        }
    }
}

impl<T: ?Sized> fmt::Debug for LockFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFuture")
            .field("queued", &self.key.is_some())
            .finish()
    }
}

/// Proof of holding a [`Lock`]; derefs to the data and unlocks on drop.
pub struct LockGuard<'a, T: ?Sized> {
    // Field order matters: the data borrow ends before the lock is released.
    data: RefMut<'a, T>,
    unlock: Unlocker<'a, T>,
}

struct Unlocker<'a, T: ?Sized> {
    lock: &'a Lock<T>,
}

impl<T: ?Sized> Drop for Unlocker<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

impl<'a, T: ?Sized> LockGuard<'a, T> {
    /// Unlocks and returns the lock (used by `Condition::wait`).
    pub(crate) fn into_lock(self) -> &'a Lock<T> {
        let LockGuard { data, unlock } = self;
        drop(data);
        let lock = unlock.lock;
        drop(unlock);
        lock
    }
}

impl<T: ?Sized> Deref for LockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: ?Sized> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.data, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.data, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;
    use std::rc::Rc;

    #[test]
    fn fifo_and_hand_off() {
        let lock = Rc::new(Lock::new(Vec::new()));
        let mut sim = Sim::fifo();
        let first = lock.try_lock().unwrap();
        for i in 0..5 {
            let lock = lock.clone();
            sim.spawn(async move { lock.lock().await.push(i) });
        }
        sim.run_until_stalled();
        assert_eq!(lock.waiters.len(), 5);
        // Free-looking lock still queues a newcomer behind waiters.
        drop(first);
        assert!(lock.is_locked());
        assert!(lock.try_lock().is_none());
        sim.run_until_stalled();
        assert!(!lock.is_locked());
        assert_eq!(*lock.try_lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn cancelled_after_hand_off_passes_lock_on() {
        let lock = Rc::new(Lock::new(0));
        let mut sim = Sim::new(2);
        let g = lock.try_lock().unwrap();
        let l1 = lock.clone();
        let a = sim.spawn(async move { *l1.lock().await += 1 });
        let l2 = lock.clone();
        sim.spawn(async move { *l2.lock().await += 10 });
        sim.run_until_stalled();
        drop(g); // handed to a
        sim.cancel(a); // a never runs
        assert!(lock.is_locked()); // now handed to b
        sim.run_until_stalled();
        assert!(!lock.is_locked());
        assert_eq!(*lock.try_lock().unwrap(), 10);
    }

    #[test]
    fn cancellation_stress() {
        struct Reset<'a>(&'a Cell<bool>);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        for seed in 0..20 {
            let lock = Rc::new(Lock::new(0usize));
            let inside = Rc::new(Cell::new(false));
            let done = counter();
            let mut sim = Sim::new(seed);
            let mut ids = Vec::new();
            for _ in 0..300 {
                let (lock, inside, done) = (lock.clone(), inside.clone(), done.clone());
                let spins = sim.rng.below(3);
                ids.push(sim.spawn(async move {
                    for _ in 0..3 {
                        let mut g = lock.lock().await;
                        assert!(!inside.get(), "two holders at once");
                        inside.set(true);
                        let _reset = Reset(&inside);
                        yields(spins).await;
                        *g += 1;
                        done.set(done.get() + 1);
                    }
                }));
            }
            let cancelled = sim.run_with_cancellation(5, &ids);
            assert!(cancelled > 10, "seed {seed}: too few cancellations to mean anything");
            assert_eq!(sim.alive(), 0);
            assert!(!lock.is_locked(), "seed {seed}: lock left locked");
            assert!(lock.waiters.is_empty());
            assert_eq!(*lock.try_lock().unwrap(), done.get());
        }
    }
}
