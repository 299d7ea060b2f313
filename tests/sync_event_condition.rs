//! Event and Condition on the evloop loop.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{Condition, Event, Lock};
use evloop_test_support::{cancel_randomly, paused, yields, Log};

#[test]
fn seed_event_wakes_both_waiters_after_the_setter_sleeps() {
    paused().block_on(async {
        let event = Rc::new(Event::new());
        let log = Log::new();
        let t0 = evloop::time();
        let waiter = |name: &'static str| {
            let (event, log) = (event.clone(), log.clone());
            evloop::spawn(async move {
                log.push(format!("{name} waiting"));
                event.wait().await;
                log.push(format!("{name} got it at {}s", (evloop::time() - t0).as_secs()));
            })
        };
        let a = waiter("Task 1");
        let b = waiter("Task 2");
        let (ev, lg) = (event.clone(), log.clone());
        let setter = evloop::spawn(async move {
            evloop::sleep(Duration::from_secs(2)).await;
            lg.push("set");
            ev.set();
        });
        for t in [a, b, setter] {
            t.await.unwrap();
        }
        assert_eq!(
            log.take(),
            [
                "Task 1 waiting",
                "Task 2 waiting",
                "set",
                "Task 1 got it at 2s",
                "Task 2 got it at 2s"
            ]
        );
    });
}

#[test]
fn set_then_clear_still_wakes_the_current_waiters() {
    evloop::run(async {
        let event = Rc::new(Event::new());
        let woke = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (event, woke) = (event.clone(), woke.clone());
                evloop::spawn(async move {
                    event.wait().await;
                    woke.set(woke.get() + 1);
                })
            })
            .collect();
        yields(2).await;
        event.set();
        event.clear();
        assert!(!event.is_set());
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(woke.get(), 3);
        // But a new waiter blocks.
        let e2 = event.clone();
        let late = evloop::spawn(async move { e2.wait().await });
        yields(3).await;
        assert!(!late.is_finished());
        event.set();
        late.await.unwrap();
    });
}

#[test]
fn condition_wait_for_returns_once_the_predicate_holds() {
    evloop::run(async {
        let st = Rc::new((Lock::new(0), Condition::new()));
        let s = st.clone();
        let waiter = evloop::spawn(async move {
            let (lock, cond) = &*s;
            let g = cond.wait_for(lock.lock().await, |n| *n >= 3).await;
            *g
        });
        for _ in 0..5 {
            yields(2).await;
            let (lock, cond) = &*st;
            *lock.lock().await += 1;
            cond.notify_all();
        }
        // Woken at 1 and 2 (predicate false: waits again), returns at 3..=5.
        let seen = waiter.await.unwrap();
        assert!((3..=5).contains(&seen), "{seen}");
        assert_eq!(seen, 3);
    });
}

#[test]
fn a_cancelled_notified_condition_waiter_passes_the_notification_on() {
    evloop::run(async {
        let st = Rc::new((Lock::new(()), Condition::new()));
        let log = Log::new();
        let tasks: Vec<_> = (0..3)
            .map(|i| {
                let (st, log) = (st.clone(), log.clone());
                evloop::spawn(async move {
                    let (lock, cond) = &*st;
                    let _g = cond.wait(lock.lock().await).await;
                    log.push(format!("w{i}"));
                })
            })
            .collect();
        yields(3).await;
        assert_eq!(st.1.waiters(), 3);
        st.1.notify(1); // to w0 ...
        tasks[0].cancel(); // ... which is cancelled before it runs
        yields(3).await;
        assert_eq!(log.take(), ["w1"], "the notification reached w1, not nobody");
        assert_eq!(st.1.waiters(), 1);
        st.1.notify_all();
        yields(3).await;
        assert_eq!(log.take(), ["w2"]);
    });
}

/// The seed's bounded queue built on a Condition, with two conditions so a
/// notify always reaches the right side.
struct CondQueue {
    items: Lock<VecDeque<u32>>,
    not_full: Condition,
    not_empty: Condition,
    maxsize: usize,
}

impl CondQueue {
    async fn put(&self, item: u32) {
        let mut q = self
            .not_full
            .wait_for(self.items.lock().await, |q| q.len() < self.maxsize)
            .await;
        q.push_back(item);
        self.not_empty.notify(1);
    }
    async fn get(&self) -> u32 {
        let mut q = self
            .not_empty
            .wait_for(self.items.lock().await, |q| !q.is_empty())
            .await;
        let item = q.pop_front().unwrap();
        self.not_full.notify(1);
        item
    }
}

#[test]
fn seed_bounded_queue_on_condition() {
    paused().block_on(async {
        let q = Rc::new(CondQueue {
            items: Lock::new(VecDeque::new()),
            not_full: Condition::new(),
            not_empty: Condition::new(),
            maxsize: 5,
        });
        let peak = Rc::new(Cell::new(0));
        let q1 = q.clone();
        let producer = evloop::spawn(async move {
            for i in 0..10 {
                q1.put(i).await;
                evloop::sleep(Duration::from_millis(100)).await;
            }
        });
        let (q2, pk) = (q.clone(), peak.clone());
        let consumer = evloop::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..10 {
                got.push(q2.get().await);
                pk.set(pk.get().max(q2.items.lock().await.len()));
                evloop::sleep(Duration::from_millis(200)).await;
            }
            got
        });
        producer.await.unwrap();
        assert_eq!(consumer.await.unwrap(), (0..10).collect::<Vec<_>>());
        assert!(peak.get() <= 5);
    });
}

#[test]
fn cancellation_stress_event() {
    for seed in 0..10 {
        paused().block_on(async move {
            let event = Rc::new(Event::new());
            let woke = Rc::new(Cell::new(0usize));
            let ev = event.clone();
            let setter = evloop::spawn(async move {
                for _ in 0..60 {
                    evloop::sleep(Duration::from_micros(20)).await;
                    ev.set();
                    ev.clear();
                }
                ev.set();
            });
            let out = cancel_randomly(seed, 3000, 30, 100_000, |_, rng| {
                let (event, woke) = (event.clone(), woke.clone());
                let naps = rng.below(1000) as u64;
                async move {
                    evloop::sleep(Duration::from_micros(naps)).await;
                    event.wait().await;
                    woke.set(woke.get() + 1);
                }
            })
            .await;
            setter.await.unwrap();
            assert_eq!(out.stuck, 0, "seed {seed}: a waiter missed a set()");
            assert!(out.cancelled > 100, "{out:?}");
            assert_eq!(woke.get() + out.cancelled, 3000, "seed {seed}");
            assert_eq!(event.waiters(), 0);
        });
    }
}

#[test]
fn cancellation_stress_condition_every_item_accounted() {
    for seed in 0..10 {
        paused().block_on(async move {
            let q = Rc::new(CondQueue {
                items: Lock::new(VecDeque::new()),
                not_full: Condition::new(),
                not_empty: Condition::new(),
                maxsize: 4,
            });
            let sent = Rc::new(Cell::new(0u64));
            let got = Rc::new(Cell::new(0u64));
            let log = Rc::new(RefCell::new(0usize));
            let out = cancel_randomly(seed, 1000, 40, 20_000, |i, rng| {
                let (q, sent, got, log) = (q.clone(), sent.clone(), got.clone(), log.clone());
                let spins = rng.below(3);
                let nap = Duration::from_micros(rng.below(100) as u64);
                async move {
                    if i % 2 == 0 {
                        for k in 0..5u32 {
                            let v = i as u32 * 10 + k + 1;
                            q.put(v).await;
                            sent.set(sent.get() + u64::from(v));
                            yields(spins).await;
                            evloop::sleep(nap).await;
                        }
                    } else {
                        for _ in 0..5 {
                            let v = q.get().await;
                            got.set(got.get() + u64::from(v));
                            *log.borrow_mut() += 1;
                            yields(spins).await;
                            evloop::sleep(nap).await;
                        }
                    }
                }
            })
            .await;
            assert!(out.cancelled > 50, "{out:?}");
            let left: u64 = q
                .items
                .try_lock()
                .expect("lock left locked")
                .iter()
                .map(|&v| u64::from(v))
                .sum();
            assert_eq!(sent.get(), got.get() + left, "seed {seed}");
        });
    }
}
