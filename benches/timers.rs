//! Timer overhead: evloop beside tokio (current_thread + LocalSet, and
//! LocalRuntime) and async-executor with async-io's `Timer`.
//!
//! `cargo bench -p evloop-benches --bench timers`

use std::time::Duration;

use async_executor::LocalExecutor;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_lite::future::{block_on, FutureExt};

use evloop_benches::{tokio_local, tokio_rt, yield_once};

/// 100,000 timeouts in all: TIMEOUT_TASKS tasks × TIMEOUTS_EACH in sequence.
const TIMEOUT_TASKS: usize = 1_000;
const TIMEOUTS_EACH: usize = 100;
const SLEEPERS: usize = 100_000;

fn sleep_for(i: usize) -> Duration {
    Duration::from_micros((i % 1000) as u64 * 10)
}

fn timer_churn(c: &mut Criterion) {
    let mut g = c.benchmark_group("timer_churn");
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| {
        b.iter(|| {
            lp.block_on(async {
                let tasks: Vec<_> = (0..TIMEOUT_TASKS)
                    .map(|_| {
                        evloop::spawn(async {
                            for _ in 0..TIMEOUTS_EACH {
                                evloop::timeout(Duration::from_secs(10), evloop::yield_now())
                                    .await
                                    .unwrap();
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
    let tokio_body = || async {
        let tasks: Vec<_> = (0..TIMEOUT_TASKS)
            .map(|_| {
                tokio::task::spawn_local(async {
                    for _ in 0..TIMEOUTS_EACH {
                        tokio::time::timeout(Duration::from_secs(10), tokio::task::yield_now())
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    };
    let rt = tokio_rt();
    g.bench_function("tokio_localset", |b| b.iter(|| tokio_local(&rt, tokio_body())));
    {
        let lrt = evloop_benches::tokio_local_runtime();
        g.bench_function("tokio_local_runtime", |b| b.iter(|| lrt.block_on(tokio_body())));
    }
    let ex = LocalExecutor::new();
    g.bench_function("async_executor", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let tasks: Vec<_> = (0..TIMEOUT_TASKS)
                    .map(|_| {
                        ex.spawn(async {
                            for _ in 0..TIMEOUTS_EACH {
                                let guarded = async {
                                    yield_once().await;
                                    true
                                };
                                let expiry = async {
                                    async_io::Timer::after(Duration::from_secs(10)).await;
                                    false
                                };
                                assert!(guarded.or(expiry).await);
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

fn sleep_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("sleep_many");
    g.sample_size(10);
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| {
        b.iter(|| {
            lp.block_on(async {
                let tasks: Vec<_> = (0..SLEEPERS)
                    .map(|i| evloop::spawn(evloop::sleep(sleep_for(i))))
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    let tokio_body = || async {
        let tasks: Vec<_> = (0..SLEEPERS)
            .map(|i| tokio::task::spawn_local(tokio::time::sleep(sleep_for(i))))
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    };
    let rt = tokio_rt();
    g.bench_function("tokio_localset", |b| b.iter(|| tokio_local(&rt, tokio_body())));
    {
        let lrt = evloop_benches::tokio_local_runtime();
        g.bench_function("tokio_local_runtime", |b| b.iter(|| lrt.block_on(tokio_body())));
    }
    let ex = LocalExecutor::new();
    g.bench_function("async_executor", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let tasks: Vec<_> = (0..SLEEPERS)
                    .map(|i| {
                        ex.spawn(async move {
                            async_io::Timer::after(sleep_for(i)).await;
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

criterion_group! {
    name = benches;
    config = evloop_benches::criterion();
    targets = timer_churn, sleep_many
}
criterion_main!(benches);
