//! `Semaphore` against a step-by-step model of CPython 3.13's
//! `asyncio.Semaphore`, over seeded random interleavings of: a new
//! `acquire()`, a permit released (or forgotten, or added by `release()`), a
//! woken waiter running, a waiter polled without being woken, and a waiter
//! cancelled (still waiting, or woken with a permit set aside but not yet run).
//!
//! After every step the two must agree on who holds a permit, who has been
//! woken, the free permits, `locked()` and the number of waiters. So the
//! order of acquisition is CPython's, including a newcomer arriving while a
//! released permit is on its way to a woken waiter.
//!
//! The futures are polled by hand with one counting waker per waiter: the
//! semaphore needs no loop, and the test decides every interleaving.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use evloop::sync::{Acquire, Semaphore, SemaphorePermit};
use evloop_test_support::{CountingWaker, Rng, WakeCount};

/// CPython 3.13's `asyncio.Semaphore` (Lib/asyncio/locks.py), one method per
/// method there. A cancellation is `task.cancel()` followed at once by the
/// task's next step (the interleaving a Rust drop gives).
struct Model {
    /// `_value`.
    value: usize,
    /// `_waiters`: (waiter id, `fut.done()`).
    waiters: VecDeque<(usize, bool)>,
}

impl Model {
    /// `locked()`: cancelled futures never stay in `waiters` here.
    fn locked(&self) -> bool {
        self.value == 0 || !self.waiters.is_empty()
    }

    /// `_wake_up_next()`: the oldest waiter not yet done gets the permit.
    fn wake_up_next(&mut self) -> bool {
        match self.waiters.iter_mut().find(|(_, done)| !done) {
            Some((_, done)) => {
                self.value -= 1;
                *done = true;
                true
            }
            None => false,
        }
    }

    /// The synchronous start of `acquire()`: true if it returned at once.
    fn acquire(&mut self, id: usize) -> bool {
        if !self.locked() {
            self.value -= 1;
            return true;
        }
        self.waiters.push_back((id, false));
        false
    }

    /// `acquire()` resuming after `await fut`, normally or cancelled.
    fn resume(&mut self, id: usize, cancelled: bool) {
        let at = self
            .waiters
            .iter()
            .position(|&(w, _)| w == id)
            .expect("a queued waiter");
        let (_, done) = self.waiters.remove(at).unwrap();
        if cancelled && done {
            self.value += 1; // the permit set aside for it was never used
        }
        while self.value > 0 {
            if !self.wake_up_next() {
                break;
            }
        }
    }

    /// `release()`.
    fn release(&mut self) {
        self.value += 1;
        self.wake_up_next();
    }

    fn is_done(&self, id: usize) -> bool {
        self.waiters.iter().any(|&(w, done)| w == id && done)
    }
}

struct Waiter<'a> {
    id: usize,
    fut: Pin<Box<Acquire<'a>>>,
    waker: Waker,
    wakes: WakeCount,
}

impl<'a> Waiter<'a> {
    fn poll(&mut self) -> Poll<SemaphorePermit<'a>> {
        self.fut.as_mut().poll(&mut Context::from_waker(&self.waker))
    }

    fn woken(&self) -> bool {
        self.wakes.get() > 0
    }
}

/// How often the interesting cases came up, so the test can show it
/// exercised them.
#[derive(Default)]
struct Seen {
    acquired: usize,
    /// A newcomer queued although a permit was free (a woken waiter ahead).
    queued_with_permit_free: usize,
    /// A woken waiter cancelled before it ran: its permit moved on.
    cancelled_after_wake: usize,
}

fn run(seed: u64, permits: usize, steps: usize, seen: &mut Seen) {
    let sem = Semaphore::new(permits);
    let mut model = Model {
        value: permits,
        waiters: VecDeque::new(),
    };
    let mut rng = Rng::new(seed);
    let mut holders: Vec<SemaphorePermit<'_>> = Vec::new();
    let mut waiters: Vec<Waiter<'_>> = Vec::new();
    let mut next_id = 0;
    for step in 0..steps {
        let at = |n: usize, rng: &mut Rng| rng.below(n);
        match rng.below(10) {
            // A new acquire(), polled once.
            0..=2 => {
                let (waker, wakes) = CountingWaker::pair();
                let mut w = Waiter {
                    id: next_id,
                    fut: Box::pin(sem.acquire()),
                    waker,
                    wakes,
                };
                next_id += 1;
                if sem.available_permits() > 0 && sem.locked() {
                    seen.queued_with_permit_free += 1;
                }
                let now = model.acquire(w.id);
                match w.poll() {
                    Poll::Ready(p) => {
                        assert!(now, "seed {seed} step {step}: acquired, CPython would queue");
                        holders.push(p);
                        seen.acquired += 1;
                    }
                    Poll::Pending => {
                        assert!(!now, "seed {seed} step {step}: queued, CPython would acquire");
                        waiters.push(w);
                    }
                }
            }
            // A holder gives its permit back, or forgets it.
            3 | 4 if !holders.is_empty() => {
                let p = holders.swap_remove(at(holders.len(), &mut rng));
                if rng.chance(10) {
                    p.forget();
                } else {
                    drop(p);
                    model.release();
                }
            }
            // release() with no permit behind it (adds capacity).
            5 if rng.chance(40) => {
                sem.release();
                model.release();
            }
            // A woken waiter runs.
            5..=7 if waiters.iter().any(Waiter::woken) => {
                let woken: Vec<usize> = (0..waiters.len()).filter(|&i| waiters[i].woken()).collect();
                let mut w = waiters.swap_remove(woken[at(woken.len(), &mut rng)]);
                model.resume(w.id, false);
                match w.poll() {
                    Poll::Ready(p) => {
                        holders.push(p);
                        seen.acquired += 1;
                    }
                    Poll::Pending => panic!("seed {seed} step {step}: woken but no permit"),
                }
            }
            // A waiter not woken is polled anyway: nothing changes.
            8 if waiters.iter().any(|w| !w.woken()) => {
                let idle: Vec<usize> = (0..waiters.len()).filter(|&i| !waiters[i].woken()).collect();
                let w = &mut waiters[idle[at(idle.len(), &mut rng)]];
                assert!(
                    w.poll().is_pending(),
                    "seed {seed} step {step}: a permit without a wake"
                );
            }
            // A waiter is cancelled (waiting, or woken and not yet run).
            9 if !waiters.is_empty() => {
                let w = waiters.swap_remove(at(waiters.len(), &mut rng));
                seen.cancelled_after_wake += usize::from(w.woken());
                model.resume(w.id, true);
                drop(w);
            }
            _ => continue,
        }
        assert_eq!(
            sem.available_permits(),
            model.value,
            "seed {seed} step {step}: free permits"
        );
        assert_eq!(sem.locked(), model.locked(), "seed {seed} step {step}: locked()");
        assert_eq!(sem.waiters(), model.waiters.len(), "seed {seed} step {step}: waiters");
        for w in &waiters {
            assert_eq!(
                w.woken(),
                model.is_done(w.id),
                "seed {seed} step {step}: waiter {} woken here, not in CPython (or the reverse)",
                w.id
            );
            assert!(w.wakes.get() <= 1, "seed {seed} step {step}: woken twice");
        }
    }
}

#[test]
fn acquisition_order_matches_cpython_in_random_interleavings() {
    let mut seen = Seen::default();
    for seed in 0..300 {
        run(seed, 1 + (seed as usize % 4), 400, &mut seen);
    }
    // The cases the comparison is for did come up, many times.

    assert!(seen.acquired > 10_000, "{}", seen.acquired);
    assert!(seen.queued_with_permit_free > 500, "{}", seen.queued_with_permit_free);
    assert!(seen.cancelled_after_wake > 500, "{}", seen.cancelled_after_wake);
}

#[test]
fn the_model_is_strict_fifo_a_newcomer_queues_behind_a_woken_waiter() {
    // The model itself, on the case the API promises: a permit set aside for a
    // woken waiter, a second one free, and a newcomer that must queue.
    let mut m = Model {
        value: 0,
        waiters: VecDeque::new(),
    };
    assert!(!m.acquire(0));
    m.release(); // set aside for 0
    m.release(); // free
    assert_eq!(m.value, 1);
    assert!(m.locked());
    assert!(!m.acquire(1), "queues behind the woken waiter");
    m.resume(0, false); // 0 runs, and wakes 1 with the free permit
    assert!(m.is_done(1));
    assert_eq!(m.value, 0);
}
