//! [`Barrier`]: wait until a fixed number of tasks arrive, and its
//! [`BrokenBarrier`] error.
use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::waiter_list::{WaiterKey, WaiterList};

/// A reusable barrier for `parties` tasks (asyncio's `Barrier`).
///
/// Each [`wait`](Barrier::wait) blocks until `parties` tasks are waiting;
/// then all of them return at once with their arrival index
/// `0..parties` (the last to arrive gets `parties - 1`) and the barrier is
/// ready for the next round. A waiter cancelled before the barrier trips
/// no longer counts as arrived.
///
/// [`abort`](Barrier::abort) breaks the barrier: current and future waiters
/// get [`BrokenBarrier`] until [`reset`](Barrier::reset).
///
/// # Examples
///
/// ```
/// use evloop_primitives::Barrier;
/// # futures::executor::block_on(async {
/// let b = Barrier::new(1);
/// assert_eq!(b.wait().await, Ok(0));
/// b.abort();
/// assert!(b.wait().await.is_err());
/// # });
/// ```
pub struct Barrier {
    parties: usize,
    count: Cell<usize>,
    broken: Cell<bool>,
    waiters: WaiterList<Result<usize, BrokenBarrier>>,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    ///
    /// If `parties` is 0.
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "Barrier::new: parties must be > 0");
        Barrier {
            parties,
            count: Cell::new(0),
            broken: Cell::new(false),
            waiters: WaiterList::new(),
        }
    }

    /// Waits until `parties` tasks are waiting; returns this task's arrival
    /// index, or [`BrokenBarrier`] if the barrier is or gets broken (by
    /// [`abort`](Barrier::abort)) or reset while waiting.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
        }
    }

    /// Breaks the barrier: every waiter, and every later `wait` until
    /// [`reset`](Barrier::reset), gets [`BrokenBarrier`].
    pub fn abort(&self) {
        self.broken.set(true);
        self.count.set(0);
        self.waiters.notify_all(|| Err(BrokenBarrier));
    }

    /// Returns the barrier to its empty, unbroken state; tasks waiting right
    /// now get [`BrokenBarrier`].
    pub fn reset(&self) {
        self.broken.set(false);
        self.count.set(0);
        self.waiters.notify_all(|| Err(BrokenBarrier));
    }

    /// True after [`abort`](Barrier::abort), until [`reset`](Barrier::reset).
    pub fn is_broken(&self) -> bool {
        self.broken.get()
    }

    /// Number of tasks waiting in the current round.
    pub fn n_waiting(&self) -> usize {
        self.count.get()
    }

    /// Number of tasks needed to pass the barrier.
    pub fn parties(&self) -> usize {
        self.parties
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("waiting", &self.count.get())
            .field("broken", &self.broken.get())
            .finish()
    }
}

/// The future returned by [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<WaiterKey>,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrier>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let b = this.barrier;
        if this.key.is_some() {
            return b.waiters.poll_notified(&mut this.key, cx.waker());
        }
        if b.broken.get() {
            return Poll::Ready(Err(BrokenBarrier));
        }
        let arrived = b.count.get() + 1;
        if arrived < b.parties {
            b.count.set(arrived);
            this.key = Some(b.waiters.push(cx.waker().clone()));
            return Poll::Pending;
        }
        // Last to arrive: trip. Indexes follow arrival order among those
        // still waiting (cancelled arrivals left the list).
        b.count.set(0);
        let mut index = 0;
        b.waiters.notify_all(|| {
            index += 1;
            Ok(index - 1)
        });
        Poll::Ready(Ok(b.parties - 1))
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if self.key.is_some() && self.barrier.waiters.remove(&mut self.key).is_none() {
            // Left before the barrier tripped: no longer arrived.
            self.barrier.count.set(self.barrier.count.get() - 1);
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("queued", &self.key.is_some())
            .finish()
    }
}

/// The barrier was aborted or reset while waiting, or is broken
/// (asyncio's `BrokenBarrierError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrokenBarrier;

impl fmt::Display for BrokenBarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("barrier is broken")
    }
}

impl Error for BrokenBarrier {}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn indexes_abort_reset() {
        let b = Rc::new(Barrier::new(3));
        let results = Rc::new(RefCell::new(Vec::new()));
        let mut sim = Sim::new(7);
        let spawn = |sim: &mut Sim, tag: usize| {
            let (b, results) = (b.clone(), results.clone());
            sim.spawn(async move {
                let r = b.wait().await;
                results.borrow_mut().push((tag, r));
            })
        };
        for tag in 0..3 {
            spawn(&mut sim, tag);
            sim.run_until_stalled();
        }
        let mut r = results.borrow_mut().drain(..).collect::<Vec<_>>();
        r.sort();
        assert_eq!(r, vec![(0, Ok(0)), (1, Ok(1)), (2, Ok(2))]);
        assert_eq!(b.n_waiting(), 0);

        spawn(&mut sim, 10);
        spawn(&mut sim, 11);
        sim.run_until_stalled();
        assert_eq!(b.n_waiting(), 2);
        b.abort();
        assert!(b.is_broken());
        spawn(&mut sim, 12);
        sim.run_until_stalled();
        assert_eq!(results.borrow().len(), 3);
        assert!(results.borrow().iter().all(|(_, r)| *r == Err(BrokenBarrier)));
        results.borrow_mut().clear();

        b.reset();
        assert!(!b.is_broken());
        spawn(&mut sim, 20);
        sim.run_until_stalled();
        b.reset();
        sim.run_until_stalled();
        assert_eq!(*results.borrow(), vec![(20, Err(BrokenBarrier))]);
        assert_eq!(b.n_waiting(), 0);
    }

    #[test]
    fn cancelled_arrival_does_not_count() {
        let b = Rc::new(Barrier::new(2));
        let mut sim = Sim::new(8);
        let got = Rc::new(RefCell::new(Vec::new()));
        let b1 = b.clone();
        let a = sim.spawn(async move {
            b1.wait().await.unwrap();
            unreachable!();
        });
        sim.run_until_stalled();
        sim.cancel(a);
        assert_eq!(b.n_waiting(), 0);
        for _ in 0..2 {
            let (b, got) = (b.clone(), got.clone());
            sim.spawn(async move {
                let r = b.wait().await;
                got.borrow_mut().push(r)
            });
        }
        sim.run_until_stalled();
        let mut v = got.borrow().clone();
        v.sort();
        assert_eq!(v, vec![Ok(0), Ok(1)]);
    }

    #[test]
    fn cancellation_stress() {
        for seed in 0..20 {
            const PARTIES: usize = 5;
            let b = Rc::new(Barrier::new(PARTIES));
            let passed = Rc::new(RefCell::new(Vec::new()));
            let mut sim = Sim::new(seed);
            let mut ids = Vec::new();
            for _ in 0..1000 {
                let (b, passed) = (b.clone(), passed.clone());
                ids.push(sim.spawn(async move {
                    let i = b.wait().await.unwrap();
                    passed.borrow_mut().push(i);
                }));
            }
            let cancelled = sim.run_with_cancellation(10, &ids);
            let passed = passed.borrow();
            let mut hist = [0usize; PARTIES];
            for &i in passed.iter() {
                hist[i] += 1;
            }
            // The task that trips a round returns on that same poll, so
            // hist[PARTIES - 1] counts the rounds; every round handed out each
            // index once (some receivers were cancelled before running).
            let rounds = hist[PARTIES - 1];
            assert!(rounds > 10, "seed {seed}");
            assert!(hist.iter().all(|&h| h <= rounds), "seed {seed}: {hist:?}");
            assert!(rounds * PARTIES - passed.len() <= cancelled);
            // Survivors still waiting = alive tasks = the barrier's count.
            assert_eq!(b.n_waiting(), sim.alive(), "seed {seed}");
            assert_eq!(passed.len() + cancelled + sim.alive(), 1000);
        }
    }
}
