//! CPython's `Lib/test/test_asyncio/test_locks.py`, translated: Lock, Event,
//! Condition, Semaphore, BoundedSemaphore and Barrier.
//!
//! Source: python/cpython, `Lib/test/test_asyncio/test_locks.py` at commit
//! 97ac8662af77033354a9e9b747d5e80fa2df664c (the 3.13 line), plus
//! `test_acquire_fifo_order_4` as the 3.13 branch has it. One Rust test per
//! Python test, with the same name; a class's tests share a module named
//! after the class.
//!
//! How the translation reads:
//! * `await asyncio.sleep(0)` is `yield_now().await`: one pass through the
//!   run queue, as in asyncio.
//! * A lock or a permit is a guard: `release()` is dropping it. Where Python
//!   releases from one task what another acquired, the holder here drops
//!   its guard when told to ([`Releases`]), which costs one more yield.
//! * `task.cancel()` drops the task's future: a `CancelledError` caught by
//!   the test is a cancelled `TaskError` on the handle.
//!
//! Skipped, with no meaning in Rust:
//! * `test_repr` (all classes), `test_barrier`, `test_lock`, `test_semaphore`,
//!   `test_lock_by_with_statement`: `repr` strings, and `await lock` /
//!   `with await lock` being a `TypeError` (the types are not awaitable).
//! * `test_lock_doesnt_accept_loop_parameter`, `test_ambiguous_loops`: the
//!   `loop=` parameter.
//! * `LockTests.test_release_not_acquired`, `ConditionTests.test_wait_unacquired`,
//!   `test_wait_for_unacquired`, `test_notify_unacquired`,
//!   `test_notify_all_unacquired`, `test_explicit_lock`: releasing a lock
//!   not held, or waiting on a condition without its lock, cannot be
//!   written (the guard is the proof of holding it); a `Condition` is not
//!   tied to one lock, so there is no lock to share or to check.
//! * `test_semaphore_value`: a negative count cannot be written (`usize`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{Barrier, BoundedSemaphore, BrokenBarrier, Condition, Event, Lock, Semaphore};
use evloop::{spawn, yield_now, Task};

async fn yields(n: usize) {
    for _ in 0..n {
        yield_now().await;
    }
}

type Log = Rc<RefCell<Vec<i32>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

/// "Release" orders for guards held by other tasks: the holder awaits
/// [`Releases::wait`] and then drops its guard.
#[derive(Clone)]
struct Releases(Rc<Semaphore>);

impl Releases {
    fn new() -> Self {
        Releases(Rc::new(Semaphore::new(0)))
    }
    fn release(&self) {
        self.0.release();
    }
    async fn wait(&self) {
        self.0.acquire().await.forget();
    }
}

mod lock_tests {
    use super::*;

    #[evloop::test]
    async fn test_acquire() {
        let lock = Rc::new(Lock::new(()));
        let result = log();
        let releases = Releases::new();
        let main_guard = lock.lock().await;
        let c = |i: i32| {
            let (lock, result, releases) = (lock.clone(), result.clone(), releases.clone());
            spawn(async move {
                let guard = lock.lock().await;
                result.borrow_mut().push(i);
                releases.wait().await; // released by the main task
                drop(guard);
                true
            })
        };
        let t1 = c(1);
        let t2 = c(2);
        yield_now().await;
        assert!(result.borrow().is_empty());

        drop(main_guard);
        yield_now().await;
        assert_eq!(*result.borrow(), [1]);
        yield_now().await;
        assert_eq!(*result.borrow(), [1]);

        let t3 = c(3);
        releases.release();
        yields(2).await;
        assert_eq!(*result.borrow(), [1, 2]);

        releases.release();
        yields(2).await;
        assert_eq!(*result.borrow(), [1, 2, 3]);

        assert!(t1.is_finished() && t1.await.unwrap());
        assert!(t2.is_finished() && t2.await.unwrap());
        releases.release();
        assert!(t3.await.unwrap());
    }

    #[evloop::test]
    async fn test_acquire_cancel() {
        let lock = Rc::new(Lock::new(()));
        let _held = lock.lock().await;
        let l = lock.clone();
        let task = spawn(async move {
            drop(l.lock().await);
        });
        let c = task.cancel_handle();
        let _ = evloop::call_soon(move || {
            c.cancel();
        });
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(lock.try_lock().is_none(), "still held by the main task");
    }

    // Ownership: the lock passes straight from A to C, so it never reads as
    // unlocked in between (asyncio's `assertFalse(lock.locked())`); see the
    // guide, "Where evloop differs from asyncio".
    #[evloop::test]
    async fn test_cancel_race() {
        let lock = Rc::new(Lock::new(()));
        let (fa_tx, fa_rx) = evloop::sync::oneshot::channel::<()>();
        let lockit = |blocker: Option<evloop::sync::oneshot::Receiver<()>>| {
            let lock = lock.clone();
            spawn(async move {
                let _g = lock.lock().await;
                if let Some(b) = blocker {
                    let _ = b.await;
                }
            })
        };
        let ta = lockit(Some(fa_rx));
        yield_now().await;
        assert!(lock.is_locked());
        let tb = lockit(None);
        yield_now().await;
        let tc = lockit(None);
        yield_now().await;

        fa_tx.send(()).unwrap();
        tb.cancel();
        yield_now().await;
        assert!(ta.is_finished());
        assert!(tb.await.unwrap_err().is_cancelled());
        tc.await.unwrap();
        assert!(!lock.is_locked());
    }

    #[evloop::test]
    async fn test_cancel_release_race() {
        let lock = Rc::new(Lock::new(()));
        let lock_count = Rc::new(Cell::new(0));
        let call_count = Rc::new(Cell::new(0));
        let lockit = || {
            let (lock, lock_count, call_count) = (lock.clone(), lock_count.clone(), call_count.clone());
            spawn(async move {
                call_count.set(call_count.get() + 1);
                let g = lock.lock().await;
                lock_count.set(lock_count.get() + 1);
                std::future::pending::<()>().await; // keeps the lock
                drop(g);
            })
        };
        let held = lock.lock().await;
        let t1 = lockit();
        let t2 = lockit();
        let t3 = lockit();
        yield_now().await;

        // `trigger`, in a callback of the next tick: cancel t1, then release.
        let c1 = t1.cancel_handle();
        let _ = evloop::call_soon(move || {
            c1.cancel();
        });
        yield_now().await; // the callback runs first
        drop(held);
        assert!(t1.await.unwrap_err().is_cancelled());
        yield_now().await;
        assert_eq!(lock_count.get(), 1, "only one lock was taken");
        assert_eq!(call_count.get(), 3);
        assert!(!t2.is_finished(), "t2 holds the lock");
        t2.cancel();
        t3.cancel();
        yield_now().await;
        assert!(t3.await.unwrap_err().is_cancelled());
    }

    #[evloop::test]
    async fn test_finished_waiter_cancelled() {
        let lock = Rc::new(Lock::new(()));
        let held = lock.lock().await;
        let acquire = || {
            let lock = lock.clone();
            spawn(async move {
                let g = lock.lock().await;
                std::future::pending::<()>().await;
                drop(g);
            })
        };
        let tb = acquire();
        yield_now().await;
        let tc = acquire();
        tb.cancel();
        drop(held);
        yield_now().await;
        assert!(lock.is_locked());
        assert!(tb.await.unwrap_err().is_cancelled());
        // tc holds the lock.
        yield_now().await;
        assert!(!tc.is_finished() && lock.is_locked());
        tc.cancel();
        assert!(tc.await.unwrap_err().is_cancelled());
        assert!(!lock.is_locked());
    }

    #[evloop::test]
    async fn test_release_no_waiters() {
        let lock = Lock::new(());
        let g = lock.lock().await;
        assert!(lock.is_locked());
        drop(g);
        assert!(!lock.is_locked());
    }

    // `async with lock` is the guard's scope.
    #[evloop::test]
    async fn test_context_manager() {
        let lock = Lock::new(());
        assert!(!lock.is_locked());
        {
            let _g = lock.lock().await;
            assert!(lock.is_locked());
        }
        assert!(!lock.is_locked());
    }
}

mod event_tests {
    use super::*;

    #[evloop::test]
    async fn test_wait() {
        let ev = Rc::new(Event::new());
        assert!(!ev.is_set());
        let result = log();
        let c = |i| {
            let (ev, result) = (ev.clone(), result.clone());
            spawn(async move {
                ev.wait().await;
                result.borrow_mut().push(i);
            })
        };
        let t1 = c(1);
        let t2 = c(2);
        yield_now().await;
        assert!(result.borrow().is_empty());
        let t3 = c(3);
        ev.set();
        yield_now().await;
        assert_eq!(*result.borrow(), [3, 1, 2]);
        for t in [t1, t2, t3] {
            assert!(t.is_finished());
            t.await.unwrap();
        }
    }

    #[evloop::test]
    async fn test_wait_on_set() {
        let ev = Event::new();
        ev.set();
        ev.wait().await;
    }

    #[evloop::test]
    async fn test_wait_cancel() {
        let ev = Rc::new(Event::new());
        let e = ev.clone();
        let wait = spawn(async move { e.wait().await });
        let c = wait.cancel_handle();
        let _ = evloop::call_soon(move || {
            c.cancel();
        });
        assert!(wait.await.unwrap_err().is_cancelled());
        assert_eq!(ev.waiters(), 0);
    }

    #[evloop::test]
    async fn test_clear() {
        let ev = Event::new();
        assert!(!ev.is_set());
        ev.set();
        assert!(ev.is_set());
        ev.clear();
        assert!(!ev.is_set());
    }

    #[evloop::test]
    async fn test_clear_with_waiters() {
        let ev = Rc::new(Event::new());
        let result = log();
        let (e, r) = (ev.clone(), result.clone());
        let t = spawn(async move {
            e.wait().await;
            r.borrow_mut().push(1);
            true
        });
        yield_now().await;
        assert!(result.borrow().is_empty());

        ev.set();
        ev.clear();
        assert!(!ev.is_set());
        ev.set();
        ev.set();
        // (asyncio still lists the woken waiter until it runs; evloop counts
        // only those not yet woken.)
        yield_now().await;
        assert_eq!(*result.borrow(), [1]);
        assert_eq!(ev.waiters(), 0);
        assert!(t.is_finished());
        assert!(t.await.unwrap());
    }
}

mod condition_tests {
    use super::*;

    /// The condition and its lock, as asyncio's `Condition()` bundles them.
    struct Cond {
        lock: Lock<()>,
        cond: Condition,
    }

    fn cond() -> Rc<Cond> {
        Rc::new(Cond {
            lock: Lock::new(()),
            cond: Condition::new(),
        })
    }

    /// c1..c3 of `test_wait`: take the lock, wait, log, then keep the lock
    /// until the main task releases it.
    fn waiter(c: &Rc<Cond>, i: i32, result: &Log, releases: &Releases) -> Task<bool> {
        let (c, result, releases) = (c.clone(), result.clone(), releases.clone());
        spawn(async move {
            let g = c.lock.lock().await;
            let g = c.cond.wait(g).await;
            result.borrow_mut().push(i);
            releases.wait().await;
            drop(g);
            true
        })
    }

    #[evloop::test]
    async fn test_wait() {
        let c = cond();
        let result = log();
        let releases = Releases::new();
        let t1 = waiter(&c, 1, &result, &releases);
        let t2 = waiter(&c, 2, &result, &releases);
        let t3 = waiter(&c, 3, &result, &releases);
        yield_now().await;
        assert!(result.borrow().is_empty());
        assert!(!c.lock.is_locked());

        let g = c.lock.lock().await;
        c.cond.notify(1);
        yield_now().await;
        assert!(result.borrow().is_empty());
        assert!(c.lock.is_locked());

        drop(g);
        yields(2).await;
        assert_eq!(*result.borrow(), [1]);
        assert!(c.lock.is_locked());

        c.cond.notify(2);
        yield_now().await;
        assert_eq!(*result.borrow(), [1]);
        assert!(c.lock.is_locked());

        releases.release();
        yields(3).await;
        assert_eq!(*result.borrow(), [1, 2]);
        assert!(c.lock.is_locked());

        releases.release();
        yields(3).await;
        assert_eq!(*result.borrow(), [1, 2, 3]);
        assert!(c.lock.is_locked());

        releases.release();
        for t in [t1, t2, t3] {
            assert!(t.await.unwrap());
        }
    }

    #[evloop::test]
    async fn test_wait_cancel() {
        let c = cond();
        let g = c.lock.lock().await;
        drop(g);
        let c2 = c.clone();
        // The waiting task takes the lock itself (a guard cannot move into a
        // task while it borrows the lock); cancelled, it drops it.
        let wait = spawn(async move {
            let g = c2.lock.lock().await;
            let g = c2.cond.wait(g).await;
            drop(g);
        });
        let h = wait.cancel_handle();
        let _ = evloop::call_soon(move || {
            h.cancel();
        });
        assert!(wait.await.unwrap_err().is_cancelled());
        assert_eq!(c.cond.waiters(), 0);
        // (asyncio re-acquires the lock before raising CancelledError; here
        // the cancelled future drops the guard it owned.)
        assert!(!c.lock.is_locked());
    }

    #[evloop::test]
    async fn test_wait_cancel_contested() {
        let c = cond();
        let c2 = c.clone();
        let wait_task = spawn(async move {
            let g = c2.lock.lock().await;
            let g = c2.cond.wait(g).await;
            assert!(c2.lock.is_locked());
            drop(g);
        });
        yield_now().await;
        assert!(!c.lock.is_locked());

        let g = c.lock.lock().await;
        assert!(c.lock.is_locked());
        c.cond.notify(1);
        let h = wait_task.cancel_handle();
        let _ = evloop::call_soon(move || {
            h.cancel();
        });
        yield_now().await; // the cancel callback runs first
        drop(g); // then the release
                 // The cancellation wins here (asyncio's cancellation is a request the
                 // woken waiter may still outrun); either way the lock ends free.
        let _ = wait_task.await;
        assert!(!c.lock.is_locked());
    }

    #[evloop::test]
    async fn test_wait_cancel_after_notify() {
        let c = cond();
        let waited = Rc::new(Cell::new(false));
        let (c2, w) = (c.clone(), waited.clone());
        let waiter = spawn(async move {
            let g = c2.lock.lock().await;
            w.set(true);
            let g = c2.cond.wait(g).await;
            drop(g);
        });
        yield_now().await;
        let g = c.lock.lock().await;
        c.cond.notify(1);
        yield_now().await;
        waiter.cancel();
        yield_now().await;
        drop(g);
        yield_now().await;
        assert!(waiter.await.unwrap_err().is_cancelled());
        assert!(waited.get());
        assert!(!c.lock.is_locked());
    }

    #[evloop::test]
    async fn test_wait_for() {
        let c = Rc::new((Lock::new(false), Condition::new()));
        let result = log();
        let (c2, r) = (c.clone(), result.clone());
        let t = spawn(async move {
            let g = c2.0.lock().await;
            let g = c2.1.wait_for(g, |presult| *presult).await;
            r.borrow_mut().push(1);
            drop(g);
            true
        });
        yield_now().await;
        assert!(result.borrow().is_empty());

        let g = c.0.lock().await;
        c.1.notify(1);
        drop(g);
        yields(2).await;
        assert!(result.borrow().is_empty());

        let mut g = c.0.lock().await;
        *g = true; // presult = True
        c.1.notify(1);
        drop(g);
        yields(2).await;
        assert_eq!(*result.borrow(), [1]);
        assert!(t.is_finished());
        assert!(t.await.unwrap());
    }

    fn notified(c: &Rc<Cond>, i: i32, result: &Log) -> Task<bool> {
        let (c, result) = (c.clone(), result.clone());
        spawn(async move {
            let g = c.lock.lock().await;
            let g = c.cond.wait(g).await;
            result.borrow_mut().push(i);
            drop(g);
            true
        })
    }

    #[evloop::test]
    async fn test_notify() {
        let c = cond();
        let result = log();
        let t1 = notified(&c, 1, &result);
        let t2 = notified(&c, 2, &result);
        let t3 = notified(&c, 3, &result);
        yield_now().await;
        assert!(result.borrow().is_empty());

        let g = c.lock.lock().await;
        c.cond.notify(1);
        drop(g);
        yields(2).await;
        assert_eq!(*result.borrow(), [1]);

        let g = c.lock.lock().await;
        c.cond.notify(1);
        c.cond.notify(2048);
        drop(g);
        yields(3).await;
        assert_eq!(*result.borrow(), [1, 2, 3]);
        for t in [t1, t2, t3] {
            assert!(t.await.unwrap());
        }
    }

    #[evloop::test]
    async fn test_notify_all() {
        let c = cond();
        let result = log();
        let t1 = notified(&c, 1, &result);
        let t2 = notified(&c, 2, &result);
        yield_now().await;
        assert!(result.borrow().is_empty());

        let g = c.lock.lock().await;
        c.cond.notify_all();
        drop(g);
        yields(2).await;
        assert_eq!(*result.borrow(), [1, 2]);
        assert!(t1.await.unwrap());
        assert!(t2.await.unwrap());
    }

    #[evloop::test]
    async fn test_context_manager() {
        let c = cond();
        assert!(!c.lock.is_locked());
        {
            let _g = c.lock.lock().await;
            assert!(c.lock.is_locked());
        }
        assert!(!c.lock.is_locked());
    }

    #[evloop::test]
    async fn test_timeout_in_block() {
        let c = cond();
        let g = c.lock.lock().await;
        let r = evloop::timeout(Duration::from_millis(500), c.cond.wait(g)).await;
        assert!(r.is_err(), "timed out");
    }
}

mod semaphore_tests {
    use super::*;

    #[evloop::test]
    async fn test_initial_value_zero() {
        let sem = Semaphore::new(0);
        assert!(sem.locked());
    }

    fn acquirer(sem: &Rc<Semaphore>, i: i32, result: &Log) -> Task<bool> {
        let (sem, result) = (sem.clone(), result.clone());
        spawn(async move {
            sem.acquire().await.forget();
            result.borrow_mut().push(i);
            true
        })
    }

    #[evloop::test]
    async fn test_acquire() {
        let sem = Rc::new(Semaphore::new(3));
        let result = log();
        sem.acquire().await.forget();
        sem.acquire().await.forget();
        assert!(!sem.locked());

        let t1 = acquirer(&sem, 1, &result);
        let t2 = acquirer(&sem, 2, &result);
        let t3 = acquirer(&sem, 3, &result);
        yield_now().await;
        assert_eq!(*result.borrow(), [1]);
        assert!(sem.locked());
        assert_eq!(sem.waiters(), 2);
        assert_eq!(sem.available_permits(), 0);

        let t4 = acquirer(&sem, 4, &result);
        sem.release();
        sem.release();
        assert_eq!(sem.available_permits(), 0);

        yield_now().await;
        assert_eq!(sem.available_permits(), 0);
        assert_eq!(result.borrow().len(), 3);
        assert!(sem.locked());
        assert_eq!(sem.waiters(), 1);

        assert!(t1.is_finished());
        let race = [t2, t3, t4];
        assert_eq!(race.iter().filter(|t| t.is_finished()).count(), 2);
        sem.release();
        for t in race {
            assert!(t.await.unwrap());
        }
    }

    #[evloop::test]
    async fn test_acquire_cancel() {
        let sem = Rc::new(Semaphore::new(1));
        sem.acquire().await.forget();
        let s = sem.clone();
        let acquire = spawn(async move { s.acquire().await.forget() });
        let h = acquire.cancel_handle();
        let _ = evloop::call_soon(move || {
            h.cancel();
        });
        assert!(acquire.await.unwrap_err().is_cancelled());
        assert_eq!(sem.waiters(), 0);
    }

    #[evloop::test]
    async fn test_acquire_cancel_before_awoken() {
        let sem = Rc::new(Semaphore::new(0));
        let result = log();
        let t: Vec<_> = (1..=4).map(|i| acquirer(&sem, i, &result)).collect();
        yield_now().await;
        t[0].cancel();
        t[1].cancel();
        sem.release();
        yields(2).await;
        assert!(t[2].is_finished());
        assert!(!t[3].is_finished());
        t[3].cancel();
        yield_now().await;
    }

    #[evloop::test]
    async fn test_acquire_hang() {
        let sem = Rc::new(Semaphore::new(0));
        let result = log();
        let t1 = acquirer(&sem, 1, &result);
        let t2 = acquirer(&sem, 2, &result);
        yield_now().await;
        t1.cancel();
        sem.release();
        yields(2).await;
        assert!(sem.locked());
        assert!(t2.is_finished());
    }

    #[evloop::test]
    async fn test_acquire_no_hang() {
        let sem = Rc::new(Semaphore::new(1));
        let t2_slot: Rc<RefCell<Option<evloop::CancelHandle>>> = Rc::default();
        let (s, slot) = (sem.clone(), t2_slot.clone());
        let t1 = spawn(async move {
            {
                let _p = s.acquire().await;
                yield_now().await;
            }
            slot.borrow().as_ref().unwrap().cancel();
        });
        let s = sem.clone();
        let t2 = spawn(async move {
            let _p = s.acquire().await;
            panic!("t2 must not get the permit");
        });
        *t2_slot.borrow_mut() = Some(t2.cancel_handle());
        t1.await.unwrap();
        assert!(t2.await.unwrap_err().is_cancelled());
        evloop::timeout(Duration::from_secs(1), sem.acquire())
            .await
            .expect("no hang")
            .forget();
    }

    #[evloop::test]
    async fn test_release_not_acquired() {
        let sem = BoundedSemaphore::new(1);
        assert!(sem.release().is_err());
    }

    #[evloop::test]
    async fn test_release_no_waiters() {
        let sem = Semaphore::new(1);
        sem.acquire().await.forget();
        assert!(sem.locked());
        sem.release();
        assert!(!sem.locked());
    }

    #[evloop::test]
    async fn test_acquire_fifo_order() {
        let sem = Rc::new(Semaphore::new(1));
        let result = Rc::new(RefCell::new(Vec::<String>::new()));
        let s = sem.clone();
        let r = result.clone();
        evloop::task_group(|tg| async move {
            for tag in ["c1", "c2", "c3"] {
                let (sem, result) = (s.clone(), r.clone());
                tg.start_soon(async move {
                    for round in 1..=2 {
                        let _p = sem.acquire().await;
                        result.borrow_mut().push(format!("{tag}_{round}"));
                        evloop::sleep(Duration::from_millis(10)).await;
                    }
                    Ok::<_, evloop::BoxError>(())
                });
            }
            Ok::<_, evloop::BoxError>(())
        })
        .await
        .unwrap();
        assert_eq!(*result.borrow(), ["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
    }

    #[evloop::test]
    async fn test_acquire_fifo_order_2() {
        let sem = Rc::new(Semaphore::new(1));
        let result = log();
        let t1 = acquirer(&sem, 1, &result);
        let (s, r) = (sem.clone(), result.clone());
        let t2 = spawn(async move {
            s.acquire().await.forget();
            r.borrow_mut().push(2);
            s.release();
            s.acquire().await.forget();
            r.borrow_mut().push(4);
            true
        });
        let t3 = acquirer(&sem, 3, &result);
        yield_now().await;
        sem.release();
        sem.release();
        for t in [t1, t2, t3] {
            assert!(t.await.unwrap());
        }
        assert_eq!(*result.borrow(), [1, 2, 3, 4]);
    }

    #[evloop::test]
    async fn test_acquire_fifo_order_3() {
        let sem = Rc::new(Semaphore::new(0));
        let result = log();
        let t1 = acquirer(&sem, 1, &result);
        let t2 = acquirer(&sem, 2, &result);
        let t3 = acquirer(&sem, 3, &result);
        yield_now().await;
        t1.cancel();
        yield_now().await;
        sem.release();
        sem.release();
        assert!(t1.await.unwrap_err().is_cancelled());
        t2.await.unwrap();
        t3.await.unwrap();
        assert_eq!(*result.borrow(), [2, 3]);
    }

    #[evloop::test]
    async fn test_acquire_fifo_order_4() {
        let sem = Rc::new(Semaphore::new(0));
        let result = log();
        let t4: Rc<RefCell<Option<Task<bool>>>> = Rc::default();
        let (s, r, slot) = (sem.clone(), result.clone(), t4.clone());
        let t1 = spawn(async move {
            assert_eq!(s.available_permits(), 0);
            s.acquire().await.forget();
            // Every waiter has been woken now.
            assert_eq!(s.available_permits(), 0);
            // A fourth task, which must run after c3, not c2.
            let r4 = r.clone();
            *slot.borrow_mut() = Some(spawn(async move {
                r4.borrow_mut().push(4);
                true
            }));
            r.borrow_mut().push(1);
            true
        });
        let (s, r) = (sem.clone(), result.clone());
        let t2 = spawn(async move {
            s.release();
            s.release();
            s.release();
            assert_eq!(s.available_permits(), 2);
            assert!(s.locked(), "c1 has not run yet");
            s.acquire().await.forget();
            r.borrow_mut().push(2);
            true
        });
        let (s, r) = (sem.clone(), result.clone());
        let t3 = spawn(async move {
            s.acquire().await.forget();
            assert!(s.locked());
            r.borrow_mut().push(3);
            true
        });
        yield_now().await;
        // Three tasks queue; the first has not run since it was woken.
        assert_eq!(sem.available_permits(), 2);
        assert_eq!(sem.waiters(), 3);
        yield_now().await;
        let t4 = t4.borrow_mut().take().expect("c1 made t4");
        for t in [t1, t2, t3, t4] {
            assert!(t.await.unwrap());
        }
        assert_eq!(*result.borrow(), [1, 2, 3, 4]);
    }
}

mod barrier_tests {
    use super::*;

    const N: usize = 5;

    fn state(b: &Barrier) -> String {
        format!("{b:?}")
    }

    /// `gather_tasks`: runs `n` tasks made by `coro` and waits for them all.
    async fn gather_tasks<T: 'static, F: std::future::Future<Output = T> + 'static>(
        n: usize,
        mut coro: impl FnMut() -> F,
    ) -> Vec<T> {
        let tasks: Vec<_> = (0..n).map(|_| spawn(coro())).collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }

    // asyncio's repr shows the state; here Debug does.
    #[evloop::test]
    async fn test_repr() {
        let barrier = Rc::new(Barrier::new(N));
        assert!(state(&barrier).contains("filling"));
        let mut waiters = Vec::new();
        let wait = |b: &Rc<Barrier>| {
            let b = b.clone();
            spawn(async move { b.wait().await })
        };
        for _ in 0..2 {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);
        assert!(state(&barrier).contains("filling"));

        for _ in 0..barrier.parties() - barrier.n_waiting() {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        assert!(state(&barrier).contains("draining"), "{}", state(&barrier));

        for _ in 0..2 {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        barrier.reset();
        assert!(state(&barrier).contains("resetting"), "{}", state(&barrier));

        for _ in 0..2 {
            waiters.push(wait(&barrier));
        }
        yield_now().await;
        barrier.abort();
        assert!(state(&barrier).contains("broken"));
        assert!(barrier.is_broken());
        for w in waiters {
            let _ = w.await.unwrap();
        }
    }

    #[test]
    #[should_panic(expected = "parties must be > 0")]
    fn test_barrier_parties() {
        let _ = Barrier::new(0);
    }

    // `async with barrier as i` is `let i = barrier.wait().await?`.
    #[evloop::test]
    async fn test_context_manager() {
        let barrier = Rc::new(Barrier::new(3));
        let results = Rc::new(RefCell::new(Vec::new()));
        gather_tasks(3, || {
            let (b, r) = (barrier.clone(), results.clone());
            async move {
                let i = b.wait().await.unwrap();
                r.borrow_mut().push(i);
            }
        })
        .await;
        let mut got = results.borrow().clone();
        got.sort();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_filling_one_task() {
        let barrier = Barrier::new(1);
        assert_eq!(barrier.wait().await, Ok(0));
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_filling_one_task_twice() {
        let barrier = Rc::new(Barrier::new(1));
        let b = barrier.clone();
        let t1 = spawn(async move { b.wait().await });
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 0);
        let b = barrier.clone();
        let t2 = spawn(async move { b.wait().await });
        yield_now().await;
        assert!(t1.is_finished() && t2.is_finished());
        assert_eq!(t1.await.unwrap(), t2.await.unwrap());
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_filling_task_by_task() {
        let barrier = Rc::new(Barrier::new(3));
        let wait = || {
            let b = barrier.clone();
            spawn(async move { b.wait().await })
        };
        let t1 = wait();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 1);
        assert!(state(&barrier).contains("filling"));
        let t2 = wait();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);
        assert!(state(&barrier).contains("filling"));
        let t3 = wait();
        yield_now().await;
        for t in [t1, t2, t3] {
            t.await.unwrap().unwrap();
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_filling_tasks_wait_twice() {
        let barrier = Rc::new(Barrier::new(N));
        let results = Rc::new(RefCell::new(Vec::new()));
        gather_tasks(N, || {
            let (b, r) = (barrier.clone(), results.clone());
            async move {
                b.wait().await.unwrap();
                r.borrow_mut().push(true);
                b.wait().await.unwrap();
                r.borrow_mut().push(false);
            }
        })
        .await;
        let r = results.borrow();
        assert_eq!(r.len(), N * 2);
        assert_eq!(r.iter().filter(|x| **x).count(), N);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_filling_tasks_check_return_value() {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let mut res = gather_tasks(N, || {
            let (b, r1, r2) = (barrier.clone(), results1.clone(), results2.clone());
            async move {
                b.wait().await.unwrap();
                r1.set(r1.get() + 1);
                let i = b.wait().await.unwrap();
                r2.set(r2.get() + 1);
                i
            }
        })
        .await;
        assert_eq!(results1.get(), N);
        assert_eq!(results2.get(), N);
        res.sort();
        assert_eq!(res, (0..N).collect::<Vec<_>>());
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_draining_state() {
        let barrier = Rc::new(Barrier::new(N));
        let results = Rc::new(RefCell::new(Vec::new()));
        gather_tasks(N, || {
            let (b, r) = (barrier.clone(), results.clone());
            async move {
                b.wait().await.unwrap();
                // The state turns to filling when the last task is out.
                r.borrow_mut().push(state(&b).contains("draining"));
            }
        })
        .await;
        let r = results.borrow();
        assert_eq!(r.len(), N);
        assert!(!r[N - 1]);
        assert!(r[..N - 1].iter().all(|d| *d));
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_blocking_tasks_while_draining() {
        let rewait = 2;
        let barrier = Rc::new(Barrier::new(N));
        let barrier_nowaiting = Rc::new(Barrier::new(N - rewait));
        let rewait_n = Rc::new(Cell::new(rewait));
        // Success: barrier_nowaiting was waited for exactly N - rewait times.
        gather_tasks(N, || {
            let (b, nb, rn) = (barrier.clone(), barrier_nowaiting.clone(), rewait_n.clone());
            async move {
                b.wait().await.unwrap();
                if rn.get() > 0 {
                    rn.set(rn.get() - 1);
                    b.wait().await.unwrap();
                } else {
                    nb.wait().await.unwrap();
                    b.wait().await.unwrap();
                }
            }
        })
        .await;
    }

    #[evloop::test]
    async fn test_filling_tasks_cancel_one() {
        let barrier = Rc::new(Barrier::new(3));
        let results = Rc::new(Cell::new(0));
        let coro = || {
            let (b, r) = (barrier.clone(), results.clone());
            spawn(async move {
                b.wait().await.unwrap();
                r.set(r.get() + 1);
            })
        };
        let t1 = coro();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 1);
        let t2 = coro();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);
        t1.cancel();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 1);
        assert!(t1.await.unwrap_err().is_cancelled());
        let t3 = coro();
        yield_now().await;
        assert_eq!(barrier.n_waiting(), 2);
        let t4 = coro();
        for t in [t2, t3, t4] {
            t.await.unwrap();
        }
        assert_eq!(results.get(), 3);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_reset_barrier() {
        let barrier = Barrier::new(1);
        barrier.reset();
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_reset_barrier_while_tasks_waiting() {
        let barrier = Rc::new(Barrier::new(N));
        let results = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..N - 1)
            .map(|_| {
                let (b, r) = (barrier.clone(), results.clone());
                spawn(async move {
                    if b.wait().await == Err(BrokenBarrier) {
                        r.set(r.get() + 1);
                    }
                })
            })
            .collect();
        yield_now().await;
        let b = barrier.clone();
        let _reset = spawn(async move { b.reset() });
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(results.get(), N - 1);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!state(&barrier).contains("resetting"));
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_reset_barrier_when_tasks_half_draining() {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let rest_of_tasks = N / 2;
        // asyncio reads the private `_count` (tasks still inside); here it is
        // counted by hand: the tasks that have left the barrier.
        let out = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (b, r1, out) = (barrier.clone(), results1.clone(), out.clone());
            async move {
                match b.wait().await {
                    Err(BrokenBarrier) => r1.set(r1.get() + 1),
                    Ok(_) => {
                        out.set(out.get() + 1);
                        if N - out.get() == rest_of_tasks {
                            b.reset();
                        }
                    }
                }
            }
        })
        .await;
        assert_eq!(results1.get(), rest_of_tasks);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!state(&barrier).contains("resetting"));
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_reset_barrier_when_tasks_half_draining_half_blocking() {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let blocking_tasks = N / 2;
        let count = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (b, r1, r2, count) = (barrier.clone(), results1.clone(), results2.clone(), count.clone());
            async move {
                match b.wait().await {
                    Err(BrokenBarrier) => {
                        r1.set(r1.get() + 1);
                        b.wait().await.unwrap();
                    }
                    Ok(_) => {
                        count.set(count.get() + 1);
                        if count.get() > blocking_tasks {
                            b.reset();
                            b.wait().await.unwrap();
                        } else if b.wait().await.is_err() {
                            r2.set(r2.get() + 1);
                        }
                    }
                }
            }
        })
        .await;
        assert_eq!(results1.get(), blocking_tasks);
        assert_eq!(results2.get(), 0);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!state(&barrier).contains("resetting"));
        assert!(!barrier.is_broken());
    }

    #[evloop::test]
    async fn test_reset_barrier_while_tasks_waiting_and_waiting_again() {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..N - 1)
            .map(|_| {
                let (b, r1, r2) = (barrier.clone(), results1.clone(), results2.clone());
                spawn(async move {
                    if b.wait().await.is_err() {
                        r1.set(r1.get() + 1);
                    }
                    b.wait().await.unwrap();
                    r2.set(r2.get() + 1);
                })
            })
            .collect();
        let b = barrier.clone();
        let _reset = spawn(async move { b.reset() });
        yield_now().await;
        let (b, r2) = (barrier.clone(), results2.clone());
        let _coro2 = spawn(async move {
            b.wait().await.unwrap();
            r2.set(r2.get() + 1);
        });
        for t in tasks {
            t.await.unwrap();
        }
        yield_now().await;
        assert!(!barrier.is_broken());
        assert_eq!(results1.get(), N - 1);
        assert_eq!(results2.get(), N);
        assert_eq!(barrier.n_waiting(), 0);
    }

    #[evloop::test]
    async fn test_reset_barrier_while_tasks_draining() {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let results3 = Rc::new(Cell::new(0));
        let count = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (b, r1, r2, r3, count) = (
                barrier.clone(),
                results1.clone(),
                results2.clone(),
                results3.clone(),
                count.clone(),
            );
            async move {
                b.wait().await.unwrap();
                count.set(count.get() + 1);
                if count.get() == N {
                    // The last task out of the barrier.
                    b.reset();
                    b.wait().await.unwrap();
                } else {
                    match b.wait().await {
                        Ok(_) => r1.set(r1.get() + 1),
                        Err(_) => r2.set(r2.get() + 1),
                    }
                }
                b.wait().await.unwrap();
                r3.set(r3.get() + 1);
            }
        })
        .await;
        assert!(!barrier.is_broken());
        assert_eq!(results1.get(), N - 1);
        assert_eq!(results2.get(), 0);
        assert_eq!(results3.get(), N);
        assert_eq!(barrier.n_waiting(), 0);
    }

    #[evloop::test]
    async fn test_abort_barrier() {
        let barrier = Barrier::new(1);
        barrier.abort();
        assert_eq!(barrier.n_waiting(), 0);
        assert!(barrier.is_broken());
    }

    #[evloop::test]
    async fn test_abort_barrier_when_tasks_half_draining_half_blocking() {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let blocking_tasks = N / 2;
        let count = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (b, r1, r2, count) = (barrier.clone(), results1.clone(), results2.clone(), count.clone());
            async move {
                match b.wait().await {
                    Err(BrokenBarrier) => r1.set(r1.get() + 1),
                    Ok(_) => {
                        count.set(count.get() + 1);
                        if count.get() > blocking_tasks {
                            b.abort();
                        } else if b.wait().await.is_err() {
                            r2.set(r2.get() + 1);
                        }
                    }
                }
            }
        })
        .await;
        assert!(barrier.is_broken());
        assert_eq!(results1.get(), blocking_tasks);
        assert_eq!(results2.get(), N - blocking_tasks - 1);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!state(&barrier).contains("resetting"));
    }

    // `raise RuntimeError` inside `async with barrier` is an early return
    // with an error; the task then aborts the barrier.
    #[evloop::test]
    async fn test_abort_barrier_when_exception() {
        let barrier = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (b, r1, r2) = (barrier.clone(), results1.clone(), results2.clone());
            async move {
                let outcome: Result<(), &str> = async {
                    let i = b.wait().await.map_err(|_| "broken")?;
                    if i == N / 2 {
                        return Err("runtime error");
                    }
                    b.wait().await.map_err(|_| "broken")?;
                    r1.set(r1.get() + 1);
                    Ok(())
                }
                .await;
                match outcome {
                    Err("broken") => r2.set(r2.get() + 1),
                    Err(_) => b.abort(),
                    Ok(()) => {}
                }
            }
        })
        .await;
        assert!(barrier.is_broken());
        assert_eq!(results1.get(), 0);
        assert_eq!(results2.get(), N - 1);
        assert_eq!(barrier.n_waiting(), 0);
    }

    #[evloop::test]
    async fn test_abort_barrier_when_exception_then_resetting() {
        let barrier1 = Rc::new(Barrier::new(N));
        let barrier2 = Rc::new(Barrier::new(N));
        let results1 = Rc::new(Cell::new(0));
        let results2 = Rc::new(Cell::new(0));
        let results3 = Rc::new(Cell::new(0));
        gather_tasks(N, || {
            let (b1, b2) = (barrier1.clone(), barrier2.clone());
            let (r1, r2, r3) = (results1.clone(), results2.clone(), results3.clone());
            async move {
                let outcome: Result<(), &str> = async {
                    let i = b1.wait().await.map_err(|_| "broken")?;
                    if i == N / 2 {
                        return Err("runtime error");
                    }
                    b1.wait().await.map_err(|_| "broken")?;
                    r1.set(r1.get() + 1);
                    Ok(())
                }
                .await;
                match outcome {
                    Err("broken") => r2.set(r2.get() + 1),
                    Err(_) => b1.abort(),
                    Ok(()) => {}
                }
                // Everyone out of barrier1 before the reset, nobody in before it.
                if b2.wait().await.unwrap() == N / 2 {
                    b1.reset();
                }
                b2.wait().await.unwrap();
                b1.wait().await.unwrap();
                r3.set(r3.get() + 1);
            }
        })
        .await;
        assert!(!barrier1.is_broken());
        assert_eq!(results1.get(), 0);
        assert_eq!(results2.get(), N - 1);
        assert_eq!(results3.get(), N);
        assert_eq!(barrier1.n_waiting(), 0);
    }
}
