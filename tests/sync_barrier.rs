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
