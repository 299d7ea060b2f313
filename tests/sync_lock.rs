//! evloop::sync::Lock on the evloop loop: the seed counter, FIFO hand-off,
//! cancellation, and one run on a foreign executor.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::Lock;
use evloop_test_support::{cancel_randomly, paused, yields, Held};

#[test]
fn seed_100_tasks_increment_under_lock_with_sleep_inside() {
    paused().block_on(async {
        let counter = Rc::new(Lock::new(0u32));
        let start = evloop::time();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let counter = counter.clone();
                evloop::spawn(async move {
                    let mut value = counter.lock().await;
                    let current = *value;
                    evloop::sleep(Duration::from_millis(10)).await;
                    *value = current + 1;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*counter.lock().await, 100);
        // The critical sections never overlapped: 100 x 10 ms back to back.
        assert_eq!(evloop::time() - start, Duration::from_secs(1));
        assert!(!counter.is_locked());
    });
}

#[test]
fn waiters_get_the_lock_in_arrival_order_and_newcomers_queue() {
    evloop::run(async {
        let lock = Rc::new(Lock::new(Vec::new()));
        let guard = lock.lock().await;
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let lock = lock.clone();
                evloop::spawn(async move { lock.lock().await.push(i) })
            })
            .collect();
        yields(2).await; // all five are queued
        drop(guard);
        // Handed to task 0: still locked, try_lock must not barge in.
        assert!(lock.is_locked());
        assert!(lock.try_lock().is_none());
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*lock.lock().await, vec![0, 1, 2, 3, 4]);
    });
}

#[test]
fn a_waiter_cancelled_after_the_hand_off_passes_the_lock_on() {
    evloop::run(async {
        let lock = Rc::new(Lock::new(0));
        let guard = lock.lock().await;
        let l1 = lock.clone();
        let first = evloop::spawn(async move { *l1.lock().await += 1 });
        let l2 = lock.clone();
        let second = evloop::spawn(async move { *l2.lock().await += 10 });
        yields(2).await;
        drop(guard); // handed to `first`, which has not run yet
        first.cancel();
        assert!(first.await.unwrap_err().is_cancelled());
        second.await.unwrap();
        assert!(!lock.is_locked());
        assert_eq!(*lock.lock().await, 10);
    });
}

#[test]
fn lock_works_on_a_foreign_executor() {
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    let lock = Rc::new(Lock::new(Vec::new()));
    let mut pool = LocalPool::new();
    for i in 0..10 {
        let lock = lock.clone();
        pool.spawner()
            .spawn_local(async move {
                let mut g = lock.lock().await;
                futures::future::ready(()).await;
                g.push(i);
            })
            .unwrap();
    }
    pool.run();
    assert_eq!(lock.try_lock().unwrap().len(), 10);
}

#[test]
fn cancellation_stress_lock_state_accounted_exactly() {
    for seed in 0..10 {
        paused().block_on(async move {
            let lock = Rc::new(Lock::new(0usize));
            let inside = Rc::new(Cell::new(0usize));
            let completed = Rc::new(Cell::new(0usize));
            let out = cancel_randomly(seed, 2000, 30, 100_000, |_, rng| {
                let (lock, inside, completed) = (lock.clone(), inside.clone(), completed.clone());
                let (spins, naps) = (rng.below(3), rng.below(3) as u64);
                async move {
                    for _ in 0..2 {
                        let mut g = lock.lock().await;
                        let _held = Held::new(&inside);
                        assert_eq!(inside.get(), 1, "two holders at once");
                        yields(spins).await;
                        evloop::sleep(Duration::from_micros(naps)).await;
                        *g += 1;
                        completed.set(completed.get() + 1);
                    }
                }
            })
            .await;
            assert_eq!(out.stuck, 0, "seed {seed}: tasks left blocked: lost hand-off");
            assert!(out.cancelled > 100, "seed {seed}: only {} cancelled", out.cancelled);
            assert!(!lock.is_locked(), "seed {seed}: lock left locked");
            assert_eq!(inside.get(), 0);
            assert_eq!(*lock.try_lock().unwrap(), completed.get());
        });
    }
}

#[test]
fn guard_derefs_and_into_inner() {
    let lock = Lock::new(String::from("a"));
    futures::executor::block_on(async {
        lock.lock().await.push('b');
    });
    assert_eq!(lock.into_inner(), "ab");
}
