//! [`Barrier`]: wait until a fixed number of tasks arrive, and its
//! [`BrokenBarrier`] error.
//!
//! The barrier follows asyncio 3.11's state machine:
//!
//! * **filling**: tasks arrive and wait; the one that makes `parties`
//!   trips the barrier, which turns to
//! * **draining**: the round's tasks leave, one by one, as each is polled.
//!   Newcomers wait at the door until the last one is out, then the barrier
//!   is filling again. So a task that loops back to `wait()` before its
//!   round-mates have left joins the *next* round, never the finished one.
//! * **resetting**: `reset()` while tasks are still inside (waiting, or not
//!   yet out of a tripped round): they get [`BrokenBarrier`]; newcomers wait
//!   at the door until the last is out, then the barrier is filling.
//! * **broken**: after `abort()`, every waiter and every newcomer gets
//!   [`BrokenBarrier`] until `reset()`.
use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::waiter_list::{WaiterKey, WaiterList};

/// Where a [`Barrier`] is in its round (asyncio's `_BarrierState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Filling,
    Draining,
    Resetting,
    Broken,
}

/// A reusable barrier for `parties` tasks (asyncio's `Barrier`).
///
/// Each [`wait`](Barrier::wait) blocks until `parties` tasks are waiting;
/// then all of them return with their arrival index `0..parties` (the last
/// to arrive gets `parties - 1`). The barrier is ready for the next round
/// once every task of the round has left `wait` (asyncio's *draining*
/// phase): a task calling `wait` again meanwhile waits for that first. A
/// waiter cancelled before the barrier trips no longer counts as arrived.
///
/// [`reset`](Barrier::reset) fails the tasks still inside the barrier with
/// [`BrokenBarrier`] and makes it ready for a new round once they are out;
/// called by the last task out of a round, it simply starts afresh.
/// [`abort`](Barrier::abort) breaks the barrier: current and future waiters
/// get [`BrokenBarrier`] until `reset`.
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
/// b.reset();
/// assert_eq!(b.wait().await, Ok(0));
/// # });
/// ```
pub struct Barrier {
    parties: usize,
    state: Cell<State>,
    /// Tasks inside the barrier: arrived in this round and not yet out.
    count: Cell<usize>,
    /// Tasks of the current round, waiting for it to trip. The payload is
    /// the arrival index, or `BrokenBarrier` on reset / abort.
    round: WaiterList<Result<usize, BrokenBarrier>>,
    /// Newcomers waiting at the door while the barrier drains or resets.
    door: WaiterList<()>,
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
            state: Cell::new(State::Filling),
            count: Cell::new(0),
            round: WaiterList::new(),
            door: WaiterList::new(),
        }
    }

    /// Waits until `parties` tasks are waiting; returns this task's arrival
    /// index, or [`BrokenBarrier`] if the barrier is or gets broken (by
    /// [`abort`](Barrier::abort)) or reset before this task is out.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            phase: Phase::Arriving,
        }
    }

    /// Breaks the barrier: every waiter, and every later `wait` until
    /// [`reset`](Barrier::reset), gets [`BrokenBarrier`].
    pub fn abort(&self) {
        self.state.set(State::Broken);
        self.round.notify_all(|| Err(BrokenBarrier));
        self.door.notify_all(|| ());
    }

    /// Makes the barrier ready for a new round. Tasks still inside it —
    /// waiting, or not yet out of a round that tripped — get
    /// [`BrokenBarrier`]; newcomers wait until they are out. With nobody
    /// inside (the last task out of a round calling it, say) the barrier is
    /// filling again at once. Also repairs a broken barrier.
    pub fn reset(&self) {
        if self.count.get() > 0 {
            self.state.set(State::Resetting);
            self.round.notify_all(|| Err(BrokenBarrier));
        } else {
            self.state.set(State::Filling);
        }
        self.door.notify_all(|| ());
    }

    /// True after [`abort`](Barrier::abort), until [`reset`](Barrier::reset).
    pub fn is_broken(&self) -> bool {
        self.state.get() == State::Broken
    }

    /// Number of tasks waiting in the current round (0 while the barrier
    /// drains, resets or is broken).
    pub fn n_waiting(&self) -> usize {
        if self.state.get() == State::Filling {
            self.count.get()
        } else {
            0
        }
    }

    /// Number of tasks needed to pass the barrier.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// A task leaves the barrier; the last one out of a drained or reset
    /// round opens the door for the next.
    fn leave(&self) {
        let left = self.count.get() - 1;
        self.count.set(left);
        if left == 0 {
            if matches!(self.state.get(), State::Draining | State::Resetting) {
                self.state.set(State::Filling);
            }
            self.door.notify_all(|| ());
        }
    }

    fn state_name(&self) -> &'static str {
        match self.state.get() {
            State::Filling => "filling",
            State::Draining => "draining",
            State::Resetting => "resetting",
            State::Broken => "broken",
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("state", &self.state_name())
            .field("parties", &self.parties)
            .field("waiting", &self.n_waiting())
            .finish()
    }
}

/// Where a [`BarrierWait`] is.
enum Phase {
    /// Not yet polled, or woken at the door: (re)try to enter.
    Arriving,
    /// Waiting at the door while the barrier drains or resets.
    AtDoor(Option<WaiterKey>),
    /// Inside, waiting for the round to trip.
    Inside(Option<WaiterKey>),
    /// Returned its result.
    Done,
}

/// The future returned by [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    phase: Phase,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrier>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let b = this.barrier;
        loop {
            match &mut this.phase {
                Phase::Done => panic!("BarrierWait polled after it returned"),
                Phase::AtDoor(key) => match b.door.poll_notified(key, cx.waker()) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => this.phase = Phase::Arriving,
                },
                Phase::Inside(key) => {
                    let out = match b.round.poll_notified(key, cx.waker()) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(out) => out,
                    };
                    // Reset or aborted after the round tripped, before this
                    // task got out: asyncio fails it too.
                    let out = match b.state.get() {
                        State::Resetting | State::Broken => Err(BrokenBarrier),
                        State::Filling | State::Draining => out,
                    };
                    this.phase = Phase::Done;
                    b.leave();
                    return Poll::Ready(out);
                }
                Phase::Arriving => match b.state.get() {
                    State::Broken => {
                        this.phase = Phase::Done;
                        return Poll::Ready(Err(BrokenBarrier));
                    }
                    State::Draining | State::Resetting => {
                        this.phase = Phase::AtDoor(Some(b.door.push(cx.waker().clone())));
                        return Poll::Pending;
                    }
                    State::Filling => {
                        let arrived = b.count.get() + 1;
                        b.count.set(arrived);
                        if arrived < b.parties {
                            this.phase = Phase::Inside(Some(b.round.push(cx.waker().clone())));
                            return Poll::Pending;
                        }
                        // Last to arrive: trip. Indexes follow arrival order
                        // among those still waiting (cancelled arrivals left).
                        b.state.set(State::Draining);
                        let mut index = 0;
                        b.round.notify_all(|| {
                            index += 1;
                            Ok(index - 1)
                        });
                        this.phase = Phase::Done;
                        b.leave();
                        return Poll::Ready(Ok(b.parties - 1));
                    }
                },
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        match &mut self.phase {
            Phase::AtDoor(key) => {
                // Nothing to pass on: the door opens for everyone at once.
                self.barrier.door.remove(key);
            }
            Phase::Inside(key) => {
                // Cancelled inside: no longer arrived (before the trip), or
                // out of the round (after it).
                self.barrier.round.remove(key);
                self.barrier.leave();
            }
            Phase::Arriving | Phase::Done => {}
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Arriving => "arriving",
            Phase::AtDoor(_) => "at the door",
            Phase::Inside(_) => "inside",
            Phase::Done => "done",
        };
        f.debug_struct("BarrierWait").field("phase", &phase).finish()
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
