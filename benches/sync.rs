//! Synchronization primitives: `evloop::sync` on the evloop loop beside
//! `tokio::sync` on tokio current_thread + LocalSet and the smol family
//! (`async-lock`, `async-channel`, `event-listener`) on async-executor's
//! LocalExecutor. Each workload is one criterion group, so one run gives
//! the ratios.
//!
//! `cargo bench -p evloop-benches --bench sync -- --warm-up-time 1 --measurement-time 2`

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_executor::LocalExecutor;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_lite::future::block_on;

use evloop_benches::{tokio_local, tokio_rt};

const HANDOFF_TASKS: usize = 100;
const HANDOFF_ROUNDS: usize = 100;
const SEM_TASKS: usize = 1_000;
const SEM_PERMITS: usize = 10;
const SEM_ROUNDS: usize = 10;
const QUEUE_ITEMS: usize = 1_000_000;
const QUEUE_CAP: usize = 128;
const BROADCAST_WAITERS: usize = 1_000;

/// Runs `f` on this thread's evloop loop (one loop per bench thread).
fn ev<F: Future<Output = Duration>>(f: F) -> Duration {
    thread_local!(static LP: evloop::EventLoop = evloop::EventLoop::new().unwrap());
    LP.with(|lp| lp.block_on(f))
}

async fn timed<F: Future<Output = ()>>(f: F) -> Duration {
    let t = Instant::now();
    f.await;
    t.elapsed()
}

fn lock_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock_uncontended");
    g.bench_function("evloop", |b| {
        let m = evloop::sync::Lock::new(0u64);
        b.iter_custom(|iters| {
            ev(timed(async {
                for _ in 0..iters {
                    *m.lock().await += 1;
                }
            }))
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        let m = tokio::sync::Mutex::new(0u64);
        b.iter_custom(|iters| {
            tokio_local(
                &rt,
                timed(async {
                    for _ in 0..iters {
                        *m.lock().await += 1;
                    }
                }),
            )
        })
    });
    let ex = LocalExecutor::new();
    g.bench_function("async_lock", |b| {
        let m = async_lock::Mutex::new(0u64);
        b.iter_custom(|iters| {
            block_on(ex.run(timed(async {
                for _ in 0..iters {
                    *m.lock().await += 1;
                }
            })))
        })
    });
    g.finish();
}

fn lock_handoff(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock_handoff_100_tasks");
    g.bench_function("evloop", |b| {
        b.iter(|| {
            ev(timed(async {
                let m = Rc::new(evloop::sync::Lock::new(0usize));
                let tasks: Vec<_> = (0..HANDOFF_TASKS)
                    .map(|_| {
                        let m = m.clone();
                        evloop::spawn(async move {
                            for _ in 0..HANDOFF_ROUNDS {
                                let mut g = m.lock().await;
                                evloop::yield_now().await;
                                *g += 1;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                assert_eq!(*m.lock().await, HANDOFF_TASKS * HANDOFF_ROUNDS);
            }))
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            tokio_local(&rt, async {
                let m = Rc::new(tokio::sync::Mutex::new(0usize));
                let tasks: Vec<_> = (0..HANDOFF_TASKS)
                    .map(|_| {
                        let m = m.clone();
                        tokio::task::spawn_local(async move {
                            for _ in 0..HANDOFF_ROUNDS {
                                let mut g = m.lock().await;
                                tokio::task::yield_now().await;
                                *g += 1;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                assert_eq!(*m.lock().await, HANDOFF_TASKS * HANDOFF_ROUNDS);
            })
        })
    });
    let ex = LocalExecutor::new();
    g.bench_function("async_lock", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let m = Rc::new(async_lock::Mutex::new(0usize));
                let tasks: Vec<_> = (0..HANDOFF_TASKS)
                    .map(|_| {
                        let m = m.clone();
                        ex.spawn(async move {
                            for _ in 0..HANDOFF_ROUNDS {
                                let mut g = m.lock().await;
                                futures_lite::future::yield_now().await;
                                *g += 1;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await;
                }
                assert_eq!(*m.lock().await, HANDOFF_TASKS * HANDOFF_ROUNDS);
            }))
        })
    });
    g.finish();
}

fn semaphore_contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("semaphore_1000_tasks");
    g.bench_function("evloop", |b| {
        b.iter(|| {
            ev(timed(async {
                let s = Rc::new(evloop::sync::Semaphore::new(SEM_PERMITS));
                let tasks: Vec<_> = (0..SEM_TASKS)
                    .map(|_| {
                        let s = s.clone();
                        evloop::spawn(async move {
                            for _ in 0..SEM_ROUNDS {
                                let _p = s.acquire().await;
                                evloop::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            }))
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            tokio_local(&rt, async {
                let s = Rc::new(tokio::sync::Semaphore::new(SEM_PERMITS));
                let tasks: Vec<_> = (0..SEM_TASKS)
                    .map(|_| {
                        let s = s.clone();
                        tokio::task::spawn_local(async move {
                            for _ in 0..SEM_ROUNDS {
                                let _p = s.acquire().await.unwrap();
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    let ex = LocalExecutor::new();
    g.bench_function("async_lock", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let s = Rc::new(async_lock::Semaphore::new(SEM_PERMITS));
                let tasks: Vec<_> = (0..SEM_TASKS)
                    .map(|_| {
                        let s = s.clone();
                        ex.spawn(async move {
                            for _ in 0..SEM_ROUNDS {
                                let _p = s.acquire().await;
                                futures_lite::future::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await;
                }
            }))
        })
    });
    g.finish();
}

/// 1,000,000 items through a bounded(128) queue, `n` producers to `n`
/// consumers. Every item's value is summed, so nothing can be skipped.
fn queue_throughput(c: &mut Criterion, n: usize) {
    let mut g = c.benchmark_group(format!("queue_{n}p_{n}c"));
    g.sample_size(10);
    let per = QUEUE_ITEMS / n;
    let expected: u64 = (0..per as u64).sum::<u64>() * n as u64;
    g.bench_function("evloop_queue", |b| {
        b.iter(|| {
            ev(timed(async {
                let q = Rc::new(evloop::sync::Queue::new(QUEUE_CAP));
                let producers: Vec<_> = (0..n)
                    .map(|_| {
                        let q = q.clone();
                        evloop::spawn(async move {
                            for i in 0..per as u64 {
                                q.put(i).await.unwrap();
                            }
                        })
                    })
                    .collect();
                let consumers: Vec<_> = (0..n)
                    .map(|_| {
                        let q = q.clone();
                        evloop::spawn(async move {
                            let mut sum = 0u64;
                            for _ in 0..per {
                                sum += q.get().await.unwrap();
                            }
                            sum
                        })
                    })
                    .collect();
                for p in producers {
                    p.await.unwrap();
                }
                let mut total = 0;
                for c in consumers {
                    total += c.await.unwrap();
                }
                assert_eq!(total, expected);
            }))
        })
    });
    if n == 1 {
        g.bench_function("evloop_channel", |b| {
            b.iter(|| {
                ev(timed(async {
                    let (tx, mut rx) = evloop::sync::channel::bounded(QUEUE_CAP);
                    let producer = evloop::spawn(async move {
                        for i in 0..per as u64 {
                            tx.send(i).await.unwrap();
                        }
                    });
                    let mut sum = 0u64;
                    while let Some(v) = rx.recv().await {
                        sum += v;
                    }
                    producer.await.unwrap();
                    assert_eq!(sum, expected);
                }))
            })
        });
    }
    let rt = tokio_rt();
    g.bench_function("tokio_mpsc", |b| {
        b.iter(|| {
            tokio_local(&rt, async {
                let (tx, rx) = tokio::sync::mpsc::channel::<u64>(QUEUE_CAP);
                // mpsc has one receiver: n consumers share it behind a Mutex.
                let rx = Rc::new(tokio::sync::Mutex::new(rx));
                let producers: Vec<_> = (0..n)
                    .map(|_| {
                        let tx = tx.clone();
                        tokio::task::spawn_local(async move {
                            for i in 0..per as u64 {
                                tx.send(i).await.unwrap();
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let consumers: Vec<_> = (0..n)
                    .map(|_| {
                        let rx = rx.clone();
                        tokio::task::spawn_local(async move {
                            let mut sum = 0u64;
                            if n == 1 {
                                let mut rx = rx.lock().await;
                                while let Some(v) = rx.recv().await {
                                    sum += v;
                                }
                            } else {
                                while let Some(v) = rx.lock().await.recv().await {
                                    sum += v;
                                }
                            }
                            sum
                        })
                    })
                    .collect();
                for p in producers {
                    p.await.unwrap();
                }
                let mut total = 0;
                for c in consumers {
                    total += c.await.unwrap();
                }
                assert_eq!(total, expected);
            })
        })
    });
    let ex = LocalExecutor::new();
    g.bench_function("async_channel", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let (tx, rx) = async_channel::bounded::<u64>(QUEUE_CAP);
                let producers: Vec<_> = (0..n)
                    .map(|_| {
                        let tx = tx.clone();
                        ex.spawn(async move {
                            for i in 0..per as u64 {
                                tx.send(i).await.unwrap();
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let consumers: Vec<_> = (0..n)
                    .map(|_| {
                        let rx = rx.clone();
                        ex.spawn(async move {
                            let mut sum = 0u64;
                            while let Ok(v) = rx.recv().await {
                                sum += v;
                            }
                            sum
                        })
                    })
                    .collect();
                for p in producers {
                    p.await;
                }
                let mut total = 0;
                for c in consumers {
                    total += c.await;
                }
                assert_eq!(total, expected);
            }))
        })
    });
    g.finish();
}

fn queue_1_1(c: &mut Criterion) {
    queue_throughput(c, 1);
}

fn queue_10_10(c: &mut Criterion) {
    queue_throughput(c, 10);
}

fn oneshot(c: &mut Criterion) {
    let mut g = c.benchmark_group("oneshot_create_send_recv");
    g.bench_function("evloop", |b| {
        b.iter_custom(|iters| {
            ev(timed(async {
                for i in 0..iters {
                    let (tx, rx) = evloop::sync::oneshot::channel();
                    tx.send(i).unwrap();
                    black_box(rx.await.unwrap());
                }
            }))
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            tokio_local(
                &rt,
                timed(async {
                    for i in 0..iters {
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        tx.send(i).unwrap();
                        black_box(rx.await.unwrap());
                    }
                }),
            )
        })
    });
    let ex = LocalExecutor::new();
    g.bench_function("async_channel_bounded_1", |b| {
        b.iter_custom(|iters| {
            block_on(ex.run(timed(async {
                for i in 0..iters {
                    let (tx, rx) = async_channel::bounded(1);
                    tx.try_send(i).unwrap();
                    black_box(rx.recv().await.unwrap());
                }
            })))
        })
    });
    g.bench_function("futures_oneshot", |b| {
        b.iter_custom(|iters| {
            block_on(ex.run(timed(async {
                for i in 0..iters {
                    let (tx, rx) = futures::channel::oneshot::channel();
                    tx.send(i).unwrap();
                    black_box(rx.await.unwrap());
                }
            })))
        })
    });
    g.finish();
}

/// 1,000 tasks wait on one event; the main task waits until all of them
/// are parked, then sets it and joins them all.
fn event_broadcast(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_broadcast_1000");
    g.bench_function("evloop", |b| {
        b.iter(|| {
            ev(timed(async {
                let e = Rc::new(evloop::sync::Event::new());
                let parked = Rc::new(Cell::new(0));
                let tasks: Vec<_> = (0..BROADCAST_WAITERS)
                    .map(|_| {
                        let (e, parked) = (e.clone(), parked.clone());
                        evloop::spawn(async move {
                            parked.set(parked.get() + 1);
                            e.wait().await
                        })
                    })
                    .collect();
                while parked.get() < BROADCAST_WAITERS {
                    evloop::yield_now().await;
                }
                e.set();
                for t in tasks {
                    t.await.unwrap();
                }
            }))
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio_notify", |b| {
        b.iter(|| {
            tokio_local(&rt, async {
                let n = Rc::new(tokio::sync::Notify::new());
                let parked = Rc::new(Cell::new(0));
                let tasks: Vec<_> = (0..BROADCAST_WAITERS)
                    .map(|_| {
                        let (n, parked) = (n.clone(), parked.clone());
                        tokio::task::spawn_local(async move {
                            let notified = n.notified();
                            tokio::pin!(notified);
                            notified.as_mut().enable(); // registered from here on
                            parked.set(parked.get() + 1);
                            notified.await
                        })
                    })
                    .collect();
                while parked.get() < BROADCAST_WAITERS {
                    tokio::task::yield_now().await;
                }
                n.notify_waiters();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    let ex = LocalExecutor::new();
    g.bench_function("event_listener", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let e = Rc::new(event_listener::Event::new());
                let flag = Rc::new(Cell::new(false));
                let parked = Rc::new(Cell::new(0));
                let tasks: Vec<_> = (0..BROADCAST_WAITERS)
                    .map(|_| {
                        let (e, flag, parked) = (e.clone(), flag.clone(), parked.clone());
                        ex.spawn(async move {
                            let listener = e.listen(); // registered from here on
                            parked.set(parked.get() + 1);
                            if !flag.get() {
                                listener.await;
                            }
                        })
                    })
                    .collect();
                while parked.get() < BROADCAST_WAITERS {
                    futures_lite::future::yield_now().await;
                }
                flag.set(true);
                e.notify(usize::MAX);
                for t in tasks {
                    t.await;
                }
            }))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = evloop_benches::criterion();
    targets = lock_uncontended, lock_handoff, semaphore_contended, queue_1_1, queue_10_10, oneshot, event_broadcast
}
criterion_main!(benches);
