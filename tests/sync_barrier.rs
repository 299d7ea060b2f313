//! Barrier on the evloop loop: arrival indexes, abort, reset, cancellation.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{Barrier, BrokenBarrier};
use evloop_test_support::{cancel_randomly, paused, yields};

#[test]
fn arrival_indexes_follow_arrival_order_and_the_barrier_is_reusable() {
    paused().block_on(async {
        let barrier = Rc::new(Barrier::new(3));
        for round in 0..2u64 {
            let tasks: Vec<_> = (0..3u64)
                .map(|i| {
                    let b = barrier.clone();
                    evloop::spawn(async move {
                        // arrive in order 2, 1, 0
                        evloop::sleep(Duration::from_millis(10 * (3 - i) + round)).await;
                        (i, b.wait().await)
                    })
                })
                .collect();
            let mut got = Vec::new();
            for t in tasks {
                got.push(t.await.unwrap());
            }
            assert_eq!(got, vec![(0, Ok(2)), (1, Ok(1)), (2, Ok(0))]);
            assert_eq!(barrier.n_waiting(), 0);
        }
        assert_eq!(barrier.parties(), 3);
    });
}

#[test]
fn abort_breaks_current_and_future_waiters_until_reset() {
    evloop::run(async {
        let barrier = Rc::new(Barrier::new(3));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let b = barrier.clone();
                evloop::spawn(async move { b.wait().await })
            })
            .collect();
        yields(2).await;
        assert_eq!(barrier.n_waiting(), 2);
        barrier.abort();
        assert!(barrier.is_broken());
        for w in waiters {
            assert_eq!(w.await.unwrap(), Err(BrokenBarrier));
        }
        assert_eq!(barrier.wait().await, Err(BrokenBarrier));
        barrier.reset();
        assert!(!barrier.is_broken());
        // Usable again.
        let b = barrier.clone();
        let a = evloop::spawn(async move { b.wait().await });
        let b = barrier.clone();
        let c = evloop::spawn(async move { b.wait().await });
        yields(2).await;
        assert_eq!(barrier.wait().await, Ok(2));
        assert_eq!((a.await.unwrap(), c.await.unwrap()), (Ok(0), Ok(1)));
    });
}

#[test]
fn reset_fails_the_current_waiters_and_empties_the_barrier() {
    evloop::run(async {
        let barrier = Rc::new(Barrier::new(2));
        let b = barrier.clone();
        let w = evloop::spawn(async move { b.wait().await });
        yields(2).await;
        barrier.reset();
        assert_eq!(w.await.unwrap(), Err(BrokenBarrier));
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
fn cancellation_stress_barrier_rounds_stay_whole() {
    for seed in 0..10 {
        paused().block_on(async move {
            const PARTIES: usize = 4;
            let barrier = Rc::new(Barrier::new(PARTIES));
            let results = Rc::new(RefCell::new(Vec::new()));
            let out = cancel_randomly(seed, 2000, 30, 100_000, |_, rng| {
                let (b, results) = (barrier.clone(), results.clone());
                let nap = Duration::from_micros(rng.below(200) as u64);
                async move {
                    evloop::sleep(nap).await;
                    let r = b.wait().await;
                    results.borrow_mut().push(r.expect("never aborted"));
                }
            })
            .await;
            assert!(out.cancelled > 100, "{out:?}");
            let results = results.borrow();
            let mut hist = [0usize; PARTIES];
            for &i in results.iter() {
                hist[i] += 1;
            }
            // The last arrival returns on the poll that trips the barrier,
            // so hist[PARTIES-1] counts rounds; each round gave out each
            // index exactly once (a receiver may be cancelled before it ran).
            let rounds = hist[PARTIES - 1];
            assert!(hist.iter().all(|&h| h <= rounds), "seed {seed}: {hist:?}");
            assert!(rounds * PARTIES - results.len() <= out.cancelled);
            // Fewer than PARTIES can be left stranded, and they left the count.
            assert!(out.stuck < PARTIES, "seed {seed}: {out:?}");
            assert_eq!(barrier.n_waiting(), 0, "cancelled waiters must leave the count");
        });
    }
}

// asyncio's pattern: the last task out of a round calls reset(), then every
// task waits twice more. Without a draining phase this hangs.
#[test]
fn the_last_task_out_of_a_round_may_reset_the_barrier() {
    paused().block_on(async {
        const N: usize = 5;
        let barrier = Rc::new(Barrier::new(N));
        let out = Rc::new(std::cell::Cell::new(0));
        let tasks: Vec<_> = (0..N)
            .map(|_| {
                let (b, out) = (barrier.clone(), out.clone());
                evloop::spawn(async move {
                    b.wait().await.unwrap();
                    out.set(out.get() + 1);
                    if out.get() == N {
                        b.reset(); // everybody is out: filling again at once
                    }
                    b.wait().await.unwrap();
                    b.wait().await.unwrap();
                })
            })
            .collect();
        for t in tasks {
            evloop::timeout(Duration::from_secs(1), t)
                .await
                .expect("hangs")
                .unwrap();
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

// A task that loops back to wait() while its round is still draining joins
// the next round, not the finished one.
#[test]
fn a_task_waiting_again_while_the_round_drains_waits_for_the_next_round() {
    paused().block_on(async {
        let barrier = Rc::new(Barrier::new(2));
        let log = Rc::new(RefCell::new(Vec::new()));
        let fast = {
            let (b, log) = (barrier.clone(), log.clone());
            evloop::spawn(async move {
                b.wait().await.unwrap(); // trips the first round
                let r = b.wait().await; // the other one has not left yet
                log.borrow_mut().push(("fast", r));
            })
        };
        let (b, l) = (barrier.clone(), log.clone());
        let slow = evloop::spawn(async move {
            b.wait().await.unwrap();
            evloop::sleep(Duration::from_secs(1)).await;
            let r = b.wait().await;
            l.borrow_mut().push(("slow", r));
        });
        evloop::sleep(Duration::from_millis(500)).await;
        // `fast` waits alone for round two; round one is over.
        assert!(log.borrow().is_empty());
        assert_eq!(barrier.n_waiting(), 1);
        fast.await.unwrap();
        slow.await.unwrap();
        let mut got = log.borrow().clone();
        got.sort();
        assert_eq!(got, vec![("fast", Ok(0)), ("slow", Ok(1))]);
    });
}

// reset() while a tripped round is still draining fails the tasks not yet
// out, as asyncio does; newcomers wait until they are out.
#[test]
fn reset_while_draining_fails_those_not_yet_out() {
    paused().block_on(async {
        let barrier = Rc::new(Barrier::new(3));
        let results = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (b, r) = (barrier.clone(), results.clone());
                evloop::spawn(async move {
                    let got = b.wait().await;
                    if got.is_ok() {
                        b.reset(); // the first out resets: the others are still inside
                    }
                    r.borrow_mut().push(got.is_ok());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*results.borrow(), [true, false, false]);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
        assert_eq!(
            format!("{barrier:?}"),
            "Barrier { state: \"filling\", parties: 3, waiting: 0 }"
        );
    });
}
