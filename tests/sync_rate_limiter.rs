//! RateLimiter on a paused clock: the sliding-window seed, the window
//! invariant, FIFO, cancellation.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::sync::RateLimiter;
use evloop_test_support::{cancel_randomly, paused, yields};

/// Asserts that no window of length `per` holds more than `rate` admissions.
fn assert_window(times: &mut [Instant], rate: usize, per: Duration) {
    times.sort();
    for w in times.windows(rate + 1) {
        assert!(
            w[rate] - w[0] >= per,
            "{} admissions within {:?}",
            rate + 1,
            w[rate] - w[0]
        );
    }
}

#[test]
fn seed_sliding_window_5_per_second_for_20_fetches() {
    paused().block_on(async {
        let limiter = Rc::new(RateLimiter::new(5, Duration::from_secs(1)));
        let t0 = evloop::time();
        let log = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let (limiter, log) = (limiter.clone(), log.clone());
                evloop::spawn(async move {
                    limiter.acquire().await;
                    log.borrow_mut().push((i, evloop::time() - t0));
                    evloop::sleep(Duration::from_millis(100)).await; // the fetch
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let expected: Vec<_> = (0..20).map(|i| (i, Duration::from_secs(i as u64 / 5))).collect();
        assert_eq!(*log.borrow(), expected, "FIFO, five per second");
    });
}

#[test]
fn try_acquire_respects_the_window_and_the_queue() {
    paused().block_on(async {
        let limiter = Rc::new(RateLimiter::new(2, Duration::from_millis(10)));
        assert!(limiter.try_acquire());
        assert!(limiter.try_acquire());
        assert!(!limiter.try_acquire());
        let l = limiter.clone();
        let waiter = evloop::spawn(async move { l.acquire().await });
        yields(2).await;
        assert_eq!(limiter.waiting(), 1);
        evloop::advance(Duration::from_millis(10)).await;
        // The waiter is served before anyone can barge in.
        assert!(!limiter.try_acquire() || waiter.is_finished());
        waiter.await.unwrap();
        assert_eq!(limiter.waiting(), 0);
    });
}

#[test]
fn never_more_than_rate_in_any_window_under_random_load_and_cancellation() {
    for seed in 0..10 {
        paused().block_on(async move {
            let (rate, per) = (7usize, Duration::from_micros(300));
            let limiter = Rc::new(RateLimiter::new(rate as u32, per));
            let admitted = Rc::new(RefCell::new(Vec::new()));
            let out = cancel_randomly(seed, 1000, 1, 1_000_000, |i, rng| {
                let (limiter, admitted) = (limiter.clone(), admitted.clone());
                let nap = Duration::from_micros(rng.below(2000) as u64);
                async move {
                    evloop::sleep(nap).await;
                    if i % 3 == 0 {
                        if limiter.try_acquire() {
                            admitted.borrow_mut().push(evloop::time());
                        }
                    } else {
                        limiter.acquire().await;
                        admitted.borrow_mut().push(evloop::time());
                    }
                }
            })
            .await;
            assert_eq!(out.stuck, 0, "seed {seed}: a waiter was never admitted");
            assert!(out.cancelled > 50, "{out:?}");
            assert_eq!(limiter.waiting(), 0);
            let mut times = admitted.borrow().clone();
            assert!(times.len() > 200, "{} admitted, {out:?}", times.len());
            assert_window(&mut times, rate, per);
        });
    }
}

#[test]
fn a_window_of_duration_max_blocks_instead_of_overflowing() {
    evloop_test_support::paused().block_on(async {
        let limiter = RateLimiter::new(1, Duration::MAX);
        limiter.acquire().await;
        assert!(!limiter.try_acquire(), "the window never ends");
        let second = evloop::timeout(Duration::from_secs(3600), limiter.acquire()).await;
        assert!(second.is_err(), "still waiting after an hour");
    });
}
