//! [`Condition`]: wait for a notification while giving up a [`Lock`].
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::lock::{Lock, LockFuture, LockGuard};
use crate::waiter_list::{WaiterKey, WaiterList};

/// A condition variable for [`Lock`] (asyncio's `Condition`).
///
/// Unlike asyncio's, the condition does not own a lock: like `std`'s
/// `Condvar`, [`wait`](Condition::wait) takes the guard of whichever [`Lock`]
/// protects the state, releases it while waiting and re-acquires it before
/// returning. Use one lock with a given condition.
///
/// Notifications are handed out FIFO. A waiter cancelled after it was
/// notified (while waiting or while re-acquiring the lock) passes its
/// notification on to the next waiter, so `notify(1)` always reaches a task
/// that runs (at the price of an occasional spurious wake-up, which the
/// condition-variable protocol allows: re-check the predicate, or use
/// [`wait_for`](Condition::wait_for)).
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use evloop_primitives::{Condition, Lock};
/// use futures::executor::LocalPool;
/// use futures::task::LocalSpawnExt;
///
/// let state = Rc::new((Lock::new(false), Condition::new()));
/// let mut pool = LocalPool::new();
/// let s = state.clone();
/// pool.spawner().spawn_local(async move {
///     let (lock, cond) = &*s;
///     let ready = cond.wait_for(lock.lock().await, |ready| *ready).await;
///     assert!(*ready);
/// }).unwrap();
/// pool.run_until_stalled();
/// let s = state.clone();
/// pool.spawner().spawn_local(async move {
///     let (lock, cond) = &*s;
///     *lock.lock().await = true;
///     cond.notify_all();
/// }).unwrap();
/// pool.run();
/// ```
pub struct Condition {
    waiters: WaiterList<()>,
}

impl Condition {
    /// A condition with no waiters.
    pub const fn new() -> Self {
        Condition {
            waiters: WaiterList::new(),
        }
    }

    /// Releases `guard`'s lock, waits for a notification, re-acquires the
    /// lock and returns the new guard. Wake-ups may be spurious; check your
    /// predicate in a loop, or use [`wait_for`](Condition::wait_for).
    ///
    /// If the future is dropped before it is first polled the guard is
    /// dropped with it (the lock is released).
    pub fn wait<'a, T: ?Sized>(&self, guard: LockGuard<'a, T>) -> ConditionWait<'_, 'a, T> {
        ConditionWait {
            cond: self,
            state: WaitState::Start(guard),
        }
    }

    /// Waits (as [`wait`](Condition::wait)) until `pred` holds for the
    /// protected value; returns at once if it already does. `pred` is only
    /// called with the lock held.
    pub async fn wait_for<'a, T: ?Sized>(
        &self,
        mut guard: LockGuard<'a, T>,
        mut pred: impl FnMut(&T) -> bool,
    ) -> LockGuard<'a, T> {
        while !pred(&guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiters, oldest first.
    pub fn notify(&self, n: usize) {
        self.waiters.notify_n(n, || ());
    }

    /// Wakes every current waiter.
    pub fn notify_all(&self) {
        self.waiters.notify_all(|| ());
    }

    /// Number of tasks waiting for a notification.
    pub fn waiters(&self) -> usize {
        self.waiters.len()
    }
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

/// The future returned by [`Condition::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'c, 'a, T: ?Sized> {
    cond: &'c Condition,
    state: WaitState<'a, T>,
}

enum WaitState<'a, T: ?Sized> {
    /// Not polled yet: still holding the lock.
    Start(LockGuard<'a, T>),
    /// Lock released, queued on the condition.
    Waiting {
        lock: &'a Lock<T>,
        key: Option<WaiterKey>,
    },
    /// Notified; queued on the lock.
    Relocking(LockFuture<'a, T>),
    Done,
}

impl<'a, T: ?Sized> Future for ConditionWait<'_, 'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                WaitState::Start(_) => {
                    // Queue first, then unlock: a notification sent by whoever
                    // gets the lock next cannot be missed.
                    let key = Some(this.cond.waiters.push(cx.waker().clone()));
                    let WaitState::Start(guard) = std::mem::replace(&mut this.state, WaitState::Done) else {
                        unreachable!()
                    };
                    let lock = guard.into_lock();
                    this.state = WaitState::Waiting { lock, key };
                    return Poll::Pending;
                }
                WaitState::Waiting { lock, key } => match this.cond.waiters.poll_notified(key, cx.waker()) {
                    Poll::Ready(()) => this.state = WaitState::Relocking(lock.lock()),
                    Poll::Pending => return Poll::Pending,
                },
                WaitState::Relocking(fut) => {
                    let guard = std::task::ready!(Pin::new(fut).poll(cx));
                    this.state = WaitState::Done;
                    return Poll::Ready(guard);
                }
                WaitState::Done => panic!("ConditionWait polled after completion"),
            }
        }
    }
}

impl<T: ?Sized> Drop for ConditionWait<'_, '_, T> {
    fn drop(&mut self) {
        let pass_on = match &mut self.state {
            WaitState::Waiting { key, .. } => self.cond.waiters.remove(key).is_some(),
            WaitState::Relocking(_) => true,
            WaitState::Start(_) | WaitState::Done => false,
        };
        // Drop the lock future (passing on a lock handed to it) before
        // passing the notification on.
        self.state = WaitState::Done;
        if pass_on {
            self.cond.notify(1);
        }
    }
}

impl<T: ?Sized> fmt::Debug for ConditionWait<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            WaitState::Start(_) => "start",
            WaitState::Waiting { .. } => "waiting",
            WaitState::Relocking(_) => "relocking",
            WaitState::Done => "done",
        };
        f.debug_struct("ConditionWait").field("state", &state).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    #[test]
    fn cancelled_notified_waiter_passes_notification_on() {
        let st = Rc::new((Lock::new(0), Condition::new()));
        let woke = Rc::new(RefCell::new(Vec::new()));
        let mut sim = Sim::fifo();
        let mut ids = Vec::new();
        for i in 0..3 {
            let (st, woke) = (st.clone(), woke.clone());
            ids.push(sim.spawn(async move {
                let (lock, cond) = &*st;
                let g = cond.wait(lock.lock().await).await;
                woke.borrow_mut().push(i);
                drop(g);
            }));
        }
        sim.run_until_stalled();
        assert_eq!(st.1.waiters(), 3);
        st.1.notify(1); // goes to task 0
        sim.cancel(ids[0]); // ... which is cancelled before running
        sim.run_until_stalled();
        assert_eq!(*woke.borrow(), vec![1]);
        assert_eq!(st.1.waiters(), 1);
    }

    #[test]
    fn cancelled_while_relocking_passes_on() {
        let st = Rc::new((Lock::new(0), Condition::new()));
        let woke = counter();
        let mut sim = Sim::new(6);
        let mut ids = Vec::new();
        for _ in 0..2 {
            let (st, woke) = (st.clone(), woke.clone());
            ids.push(sim.spawn(async move {
                let (lock, cond) = &*st;
                let _g = cond.wait(lock.lock().await).await;
                woke.set(woke.get() + 1);
            }));
        }
        sim.run_until_stalled();
        let g = st.0.try_lock().unwrap();
        st.1.notify(1);
        sim.run_until_stalled(); // task 0 now queued on the lock
        assert_eq!(st.1.waiters(), 1);
        sim.cancel(ids[0]);
        assert_eq!(st.1.waiters(), 0); // notification passed to task 1
        drop(g);
        sim.run_until_stalled();
        assert_eq!(woke.get(), 1);
        assert!(!st.0.is_locked());
    }

    #[test]
    fn bounded_queue_on_condition_with_cancellation() {
        for seed in 0..20 {
            let st = Rc::new((Lock::new(VecDeque::<u64>::new()), Condition::new()));
            let sent = Rc::new(std::cell::Cell::new(0u64));
            let received = Rc::new(std::cell::Cell::new(0u64));
            let mut sim = Sim::new(seed);
            let mut ids = Vec::new();
            for p in 0..20u64 {
                let (st2, sent) = (st.clone(), sent.clone());
                ids.push(sim.spawn(async move {
                    let (lock, cond) = &*st2;
                    for i in 0..20 {
                        let mut q = cond.wait_for(lock.lock().await, |q| q.len() < 5).await;
                        let v = p * 1000 + i + 1;
                        q.push_back(v);
                        sent.set(sent.get() + v);
                        cond.notify(1);
                    }
                }));
                let (st2, received) = (st.clone(), received.clone());
                ids.push(sim.spawn(async move {
                    let (lock, cond) = &*st2;
                    loop {
                        let mut q = cond.wait_for(lock.lock().await, |q| !q.is_empty()).await;
                        let v = q.pop_front().unwrap();
                        received.set(received.get() + v);
                        cond.notify(1);
                        drop(q);
                        yields(1).await;
                    }
                }));
            }
            sim.run_with_cancellation(2, &ids);
            let (lock, _cond) = &*st;
            assert!(!lock.is_locked(), "seed {seed}");
            let left: u64 = lock.try_lock().unwrap().iter().sum();
            assert_eq!(sent.get(), received.get() + left, "seed {seed}");
        }
    }
}
