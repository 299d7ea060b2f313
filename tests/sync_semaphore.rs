//! Semaphore, BoundedSemaphore and CapacityLimiter on the evloop loop.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{BoundedSemaphore, CapacityLimiter, Semaphore, SemaphoreError};
use evloop_test_support::{cancel_randomly, paused, yields, Held};

#[test]
fn seed_semaphore_3_caps_10_tasks() {
    paused().block_on(async {
        let sem = Rc::new(Semaphore::new(3));
        let running = Rc::new(Cell::new(0usize));
        let peak = Rc::new(Cell::new(0usize));
        let starts = Rc::new(RefCell::new(Vec::new()));
        let t0 = evloop::time();
        let tasks: Vec<_> = (0..10)
            .map(|n| {
                let (sem, running, peak, starts) = (sem.clone(), running.clone(), peak.clone(), starts.clone());
                evloop::spawn(async move {
                    let _permit = sem.acquire().await;
                    let _r = Held::new(&running);
                    peak.set(peak.get().max(running.get()));
                    starts.borrow_mut().push((n, (evloop::time() - t0).as_secs()));
                    evloop::sleep(Duration::from_secs(1)).await;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.get(), 3);
        // FIFO: tasks start three at a time, in spawn order.
        let expected: Vec<_> = (0..10).map(|n| (n, (n / 3) as u64)).collect();
        assert_eq!(*starts.borrow(), expected);
        assert_eq!(evloop::time() - t0, Duration::from_secs(4));
        assert_eq!(sem.available_permits(), 3);
    });
}

#[test]
fn bounded_semaphore_refuses_release_above_initial_count() {
    evloop::run(async {
        let sem = BoundedSemaphore::new(2);
        assert_eq!(sem.release(), Err(SemaphoreError));
        let p = sem.acquire().await;
        p.forget();
        assert_eq!(sem.available_permits(), 1);
        assert_eq!(sem.release(), Ok(()));
        assert_eq!(sem.release(), Err(SemaphoreError));
        assert_eq!(sem.available_permits(), 2);
        assert_eq!(SemaphoreError.to_string(), "BoundedSemaphore released too many times");
    });
}

#[test]
fn a_released_permit_skips_a_cancelled_waiter() {
    evloop::run(async {
        let sem = Rc::new(Semaphore::new(0));
        let got = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..3)
            .map(|i| {
                let (sem, got) = (sem.clone(), got.clone());
                evloop::spawn(async move {
                    sem.acquire().await.forget();
                    got.borrow_mut().push(i);
                })
            })
            .collect();
        yields(2).await;
        sem.release(); // handed to task 0
        tasks[0].cancel();
        yields(3).await;
        assert_eq!(*got.borrow(), vec![1]);
        assert_eq!(sem.available_permits(), 0);
        assert_eq!(sem.waiters(), 1);
    });
}

#[test]
fn capacity_limiter_set_total_tokens_wakes_waiters_at_once() {
    paused().block_on(async {
        let limiter = Rc::new(CapacityLimiter::new(1));
        let token = limiter.acquire().await;
        let woke = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (limiter, woke) = (limiter.clone(), woke.clone());
                evloop::spawn(async move {
                    let _t = limiter.acquire().await;
                    woke.set(woke.get() + 1);
                    evloop::sleep(Duration::from_secs(60)).await;
                })
            })
            .collect();
        yields(2).await;
        assert_eq!(limiter.waiting(), 4);
        limiter.set_total_tokens(4);
        // Tokens were handed over inside the call.
        assert_eq!(limiter.waiting(), 1);
        assert_eq!(limiter.borrowed_tokens(), 4);
        let t0 = evloop::time();
        evloop::yield_now().await;
        assert_eq!(woke.get(), 3, "woken without any time passing");
        assert_eq!(evloop::time(), t0);
        drop(token);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(woke.get(), 4);
        assert_eq!(limiter.borrowed_tokens(), 0);
        assert_eq!(limiter.available_tokens(), 4);
    });
}

#[test]
fn cancellation_stress_semaphores_permits_return_exactly() {
    for seed in 0..10 {
        paused().block_on(async move {
            let sem = Rc::new(Semaphore::new(5));
            let bsem = Rc::new(BoundedSemaphore::new(3));
            let held = Rc::new(Cell::new(0usize));
            let bheld = Rc::new(Cell::new(0usize));
            let out = cancel_randomly(seed, 2000, 30, 100_000, |i, rng| {
                let (sem, bsem, held, bheld) = (sem.clone(), bsem.clone(), held.clone(), bheld.clone());
                let spins = rng.below(4);
                async move {
                    if i % 2 == 0 {
                        let _p = sem.acquire().await;
                        let _h = Held::new(&held);
                        assert!(held.get() <= 5);
                        yields(spins).await;
                    } else {
                        let p = bsem.acquire().await;
                        let _h = Held::new(&bheld);
                        assert!(bheld.get() <= 3);
                        evloop::sleep(Duration::from_micros(spins as u64)).await;
                        if spins == 0 {
                            // the asyncio way: acquire ... release()
                            p.forget();
                            bsem.release().unwrap();
                        }
                    }
                }
            })
            .await;
            assert_eq!(out.stuck, 0, "seed {seed}");
            assert!(out.cancelled > 100, "{out:?}");
            assert_eq!(sem.available_permits(), 5, "seed {seed}");
            assert_eq!(bsem.available_permits(), 3, "seed {seed}");
            assert_eq!((sem.waiters(), bsem.waiters()), (0, 0));
            assert_eq!(bsem.release(), Err(SemaphoreError));
        });
    }
}

#[test]
fn cancellation_stress_capacity_limiter() {
    for seed in 0..10 {
        paused().block_on(async move {
            let limiter = Rc::new(CapacityLimiter::new(4));
            let held = Rc::new(Cell::new(0usize));
            let out = cancel_randomly(seed, 2000, 30, 100_000, |i, rng| {
                let (limiter, held) = (limiter.clone(), held.clone());
                let spins = rng.below(3);
                async move {
                    let _t = limiter.acquire().await;
                    let _h = Held::new(&held);
                    assert!(held.get() <= 6);
                    if i % 97 == 0 {
                        limiter.set_total_tokens(2 + i % 5);
                    }
                    yields(spins).await;
                }
            })
            .await;
            assert_eq!(out.stuck, 0, "seed {seed}");
            assert_eq!(limiter.borrowed_tokens(), 0, "seed {seed}");
            assert_eq!(limiter.waiting(), 0);
        });
    }
}

// A permit released while the woken waiter has not run yet is not up for
// grabs: a newcomer queues behind the woken waiter (CPython 3.13's order).
#[test]
fn a_newcomer_queues_behind_a_woken_waiter_that_has_not_run_yet() {
    evloop::run(async {
        let sem = Rc::new(Semaphore::new(1));
        let order = Rc::new(RefCell::new(Vec::new()));
        let holder = sem.acquire().await;
        let (s, o) = (sem.clone(), order.clone());
        let waiter = evloop::spawn(async move {
            let _p = s.acquire().await;
            o.borrow_mut().push("waiter");
        });
        yields(1).await;
        drop(holder); // set aside for `waiter`, which has not run yet
        sem.release(); // one more free permit
        assert_eq!(sem.available_permits(), 1);
        assert!(sem.locked(), "a woken waiter is ahead");
        assert!(sem.try_acquire().is_none());
        let (s, o) = (sem.clone(), order.clone());
        let newcomer = evloop::spawn(async move {
            let _p = s.acquire().await;
            o.borrow_mut().push("newcomer");
        });
        waiter.await.unwrap();
        newcomer.await.unwrap();
        assert_eq!(*order.borrow(), ["waiter", "newcomer"]);
        assert_eq!(sem.available_permits(), 2);
        assert!(!sem.locked());
    });
}

// Each release wakes the oldest waiter not yet woken; a woken waiter
// cancelled before it runs passes its permit on to the next one.
#[test]
fn a_woken_waiter_cancelled_before_it_runs_passes_its_permit_on() {
    evloop::run(async {
        let sem = Rc::new(Semaphore::new(0));
        let got = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let (sem, got) = (sem.clone(), got.clone());
                evloop::spawn(async move {
                    sem.acquire().await.forget();
                    got.borrow_mut().push(i);
                })
            })
            .collect();
        yields(1).await;
        sem.release(); // set aside for task 0
        sem.release(); // for task 1
        sem.release(); // for task 2
        assert_eq!(sem.available_permits(), 0);
        assert_eq!(sem.waiters(), 4);
        tasks[0].cancel(); // its permit goes to task 3
        yields(3).await;
        assert_eq!(*got.borrow(), vec![1, 2, 3]);
        assert_eq!(sem.available_permits(), 0);
        assert_eq!(sem.waiters(), 0);
    });
}
