//! Scheduling overhead: evloop beside tokio (current_thread + LocalSet, and
//! LocalRuntime), async-executor's LocalExecutor and futures' LocalPool.
//!
//! `cargo bench -p evloop-benches --bench scheduling`

use async_executor::LocalExecutor;
use criterion::{criterion_group, criterion_main, Criterion};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures_lite::future::block_on;

use evloop_benches::{slot, tokio_local, tokio_rt, yield_once, SlotTx};

const SPAWN_MANY: usize = 100_000;
const YIELD_TASKS: usize = 1_000;
const YIELDS: usize = 100;
const CHAIN: usize = 10_000;
const PAIRS: usize = 1_000;
const ROUND_TRIPS: usize = 100;

fn spawn_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_many");
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| {
        b.iter(|| {
            lp.block_on(async {
                let tasks: Vec<_> = (0..SPAWN_MANY).map(|i| evloop::spawn(async move { i })).collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio_localset", |b| {
        b.iter(|| {
            tokio_local(&rt, async {
                let tasks: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| tokio::task::spawn_local(async move { i }))
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    {
        let lrt = evloop_benches::tokio_local_runtime();
        g.bench_function("tokio_local_runtime", |b| {
            b.iter(|| {
                lrt.block_on(async {
                    let tasks: Vec<_> = (0..SPAWN_MANY)
                        .map(|i| tokio::task::spawn_local(async move { i }))
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                })
            })
        });
    }
    let ex = LocalExecutor::new();
    g.bench_function("async_executor", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let tasks: Vec<_> = (0..SPAWN_MANY).map(|i| ex.spawn(async move { i })).collect();
                for t in tasks {
                    t.await;
                }
            }))
        })
    });
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    g.bench_function("futures_localpool", |b| {
        b.iter(|| {
            pool.run_until(async {
                let tasks: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| spawner.spawn_local_with_handle(async move { i }).unwrap())
                    .collect();
                for t in tasks {
                    t.await;
                }
            })
        })
    });
    g.finish();
}

async fn yielder() {
    for _ in 0..YIELDS {
        yield_once().await;
    }
}

fn yield_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield_many");
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| {
        b.iter(|| {
            lp.block_on(async {
                let tasks: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        evloop::spawn(async {
                            for _ in 0..YIELDS {
                                evloop::yield_now().await;
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
    let rt = tokio_rt();
    g.bench_function("tokio_localset", |b| {
        b.iter(|| {
            tokio_local(&rt, async {
                let tasks: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        tokio::task::spawn_local(async {
                            for _ in 0..YIELDS {
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
    {
        let lrt = evloop_benches::tokio_local_runtime();
        g.bench_function("tokio_local_runtime", |b| {
            b.iter(|| {
                lrt.block_on(async {
                    let tasks: Vec<_> = (0..YIELD_TASKS)
                        .map(|_| {
                            tokio::task::spawn_local(async {
                                for _ in 0..YIELDS {
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
    }
    let ex = LocalExecutor::new();
    g.bench_function("async_executor", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let tasks: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        ex.spawn(async {
                            for _ in 0..YIELDS {
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
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    g.bench_function("futures_localpool", |b| {
        b.iter(|| {
            pool.run_until(async {
                let tasks: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| spawner.spawn_local_with_handle(yielder()).unwrap())
                    .collect();
                for t in tasks {
                    t.await;
                }
            })
        })
    });
    g.finish();
}

fn chained_spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("chained_spawn");
    fn ev_chain(n: usize, done: SlotTx<()>) {
        if n == 0 {
            done.send(());
        } else {
            drop(evloop::spawn(async move { ev_chain(n - 1, done) }));
        }
    }
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| {
        b.iter(|| {
            lp.block_on(async {
                let (tx, rx) = slot();
                drop(evloop::spawn(async move { ev_chain(CHAIN, tx) }));
                rx.await
            })
        })
    });
    fn tokio_chain(n: usize, done: tokio::sync::oneshot::Sender<()>) {
        if n == 0 {
            done.send(()).unwrap();
        } else {
            drop(tokio::task::spawn_local(async move { tokio_chain(n - 1, done) }));
        }
    }
    let rt = tokio_rt();
    g.bench_function("tokio_localset", |b| {
        b.iter(|| {
            tokio_local(&rt, async {
                let (tx, rx) = tokio::sync::oneshot::channel();
                drop(tokio::task::spawn_local(async move { tokio_chain(CHAIN, tx) }));
                rx.await.unwrap()
            })
        })
    });
    {
        let lrt = evloop_benches::tokio_local_runtime();
        g.bench_function("tokio_local_runtime", |b| {
            b.iter(|| {
                lrt.block_on(async {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    drop(tokio::task::spawn_local(async move { tokio_chain(CHAIN, tx) }));
                    rx.await.unwrap()
                })
            })
        });
    }
    fn ex_chain(ex: &'static LocalExecutor<'static>, n: usize, done: async_channel::Sender<()>) {
        if n == 0 {
            done.try_send(()).unwrap();
        } else {
            ex.spawn(async move { ex_chain(ex, n - 1, done) }).detach();
        }
    }
    let ex: &'static LocalExecutor<'static> = Box::leak(Box::new(LocalExecutor::new()));
    g.bench_function("async_executor", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let (tx, rx) = async_channel::bounded(1);
                ex.spawn(async move { ex_chain(ex, CHAIN, tx) }).detach();
                rx.recv().await.unwrap()
            }))
        })
    });
    fn pool_chain(sp: futures::executor::LocalSpawner, n: usize, done: SlotTx<()>) {
        if n == 0 {
            done.send(());
        } else {
            let sp2 = sp.clone();
            sp.spawn_local(async move { pool_chain(sp2, n - 1, done) }).unwrap();
        }
    }
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    g.bench_function("futures_localpool", |b| {
        b.iter(|| {
            let (tx, rx) = slot();
            let sp = spawner.clone();
            spawner.spawn_local(async move { pool_chain(sp, CHAIN, tx) }).unwrap();
            pool.run_until(rx)
        })
    });
    g.finish();
}

fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong");
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| {
        b.iter(|| {
            lp.block_on(async {
                let pairs: Vec<_> = (0..PAIRS)
                    .map(|_| {
                        evloop::spawn(async {
                            for i in 0..ROUND_TRIPS {
                                let (ping_tx, ping_rx) = slot::<usize>();
                                let (pong_tx, pong_rx) = slot::<usize>();
                                let peer = evloop::spawn(async move { pong_tx.send(ping_rx.await + 1) });
                                ping_tx.send(i);
                                assert_eq!(pong_rx.await, i + 1);
                                drop(peer);
                            }
                        })
                    })
                    .collect();
                for p in pairs {
                    p.await.unwrap();
                }
            })
        })
    });
    let rt = tokio_rt();
    let tokio_body = || async {
        let pairs: Vec<_> = (0..PAIRS)
            .map(|_| {
                tokio::task::spawn_local(async {
                    for i in 0..ROUND_TRIPS {
                        let (ping_tx, ping_rx) = tokio::sync::oneshot::channel::<usize>();
                        let (pong_tx, pong_rx) = tokio::sync::oneshot::channel::<usize>();
                        drop(tokio::task::spawn_local(async move {
                            pong_tx.send(ping_rx.await.unwrap() + 1)
                        }));
                        ping_tx.send(i).unwrap();
                        assert_eq!(pong_rx.await.unwrap(), i + 1);
                    }
                })
            })
            .collect();
        for p in pairs {
            p.await.unwrap();
        }
    };
    g.bench_function("tokio_localset", |b| b.iter(|| tokio_local(&rt, tokio_body())));
    {
        let lrt = evloop_benches::tokio_local_runtime();
        g.bench_function("tokio_local_runtime", |b| b.iter(|| lrt.block_on(tokio_body())));
    }
    let ex: &'static LocalExecutor<'static> = Box::leak(Box::new(LocalExecutor::new()));
    g.bench_function("async_executor", |b| {
        b.iter(|| {
            block_on(ex.run(async {
                let pairs: Vec<_> = (0..PAIRS)
                    .map(|_| {
                        ex.spawn(async move {
                            for i in 0..ROUND_TRIPS {
                                let (ping_tx, ping_rx) = async_channel::bounded::<usize>(1);
                                let (pong_tx, pong_rx) = async_channel::bounded::<usize>(1);
                                ex.spawn(async move { pong_tx.try_send(ping_rx.recv().await.unwrap() + 1).unwrap() })
                                    .detach();
                                ping_tx.try_send(i).unwrap();
                                assert_eq!(pong_rx.recv().await.unwrap(), i + 1);
                            }
                        })
                    })
                    .collect();
                for p in pairs {
                    p.await;
                }
            }))
        })
    });
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    g.bench_function("futures_localpool", |b| {
        b.iter(|| {
            let sp = spawner.clone();
            pool.run_until(async move {
                let pairs: Vec<_> = (0..PAIRS)
                    .map(|_| {
                        let sp2 = sp.clone();
                        sp.spawn_local_with_handle(async move {
                            for i in 0..ROUND_TRIPS {
                                let (ping_tx, ping_rx) = futures::channel::oneshot::channel::<usize>();
                                let (pong_tx, pong_rx) = futures::channel::oneshot::channel::<usize>();
                                sp2.spawn_local(async move { pong_tx.send(ping_rx.await.unwrap() + 1).unwrap() })
                                    .unwrap();
                                ping_tx.send(i).unwrap();
                                assert_eq!(pong_rx.await.unwrap(), i + 1);
                            }
                        })
                        .unwrap()
                    })
                    .collect();
                for p in pairs {
                    p.await;
                }
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = evloop_benches::criterion();
    targets = spawn_many, yield_many, chained_spawn, ping_pong
}
criterion_main!(benches);
