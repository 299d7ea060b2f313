//! Composition overhead: evloop's gather and task_group beside
//! `futures::future::join_all` (polled on the same evloop loop, so only the
//! combinator differs) and tokio's `JoinSet` (current_thread + LocalSet).
//!
//! `cargo bench -p evloop-benches --bench compose`

use criterion::{criterion_group, criterion_main, Criterion};
use evloop::BoxError;
use tokio::task::JoinSet;

use evloop_benches::{tokio_local, tokio_rt, yield_once};

const N: u64 = 10_000;

/// A child that is ready at once.
async fn ready(i: u64) -> u64 {
    i
}

/// A child that is pending once (it wakes itself), then ready.
async fn once_pending(i: u64) -> u64 {
    yield_once().await;
    i
}

macro_rules! gather_bench {
    ($c:expr, $group:literal, $child:ident) => {{
        let mut g = $c.benchmark_group($group);
        let lp = evloop::EventLoop::new().unwrap();
        g.bench_function("evloop_gather", |b| {
            b.iter(|| {
                let out = lp.block_on(evloop::gather((0..N).map($child)));
                assert_eq!(out.len() as u64, N);
            })
        });
        g.bench_function("futures_join_all", |b| {
            b.iter(|| {
                let out = lp.block_on(futures::future::join_all((0..N).map($child)));
                assert_eq!(out.len() as u64, N);
            })
        });
        let rt = tokio_rt();
        g.bench_function("tokio_joinset", |b| {
            b.iter(|| {
                tokio_local(&rt, async {
                    let mut set = JoinSet::new();
                    for i in 0..N {
                        set.spawn_local($child(i));
                    }
                    let mut n = 0;
                    while let Some(r) = set.join_next().await {
                        r.unwrap();
                        n += 1;
                    }
                    assert_eq!(n, N);
                })
            })
        });
        g.finish();
    }};
}

fn gather_ready(c: &mut Criterion) {
    gather_bench!(c, "gather_10k_ready", ready);
}

fn gather_once_pending(c: &mut Criterion) {
    gather_bench!(c, "gather_10k_once_pending", once_pending);
}

macro_rules! group_bench {
    ($c:expr, $group:literal, $child:ident) => {{
        let mut g = $c.benchmark_group($group);
        let lp = evloop::EventLoop::new().unwrap();
        g.bench_function("evloop_task_group", |b| {
            b.iter(|| {
                lp.block_on(evloop::task_group(|tg| async move {
                    for i in 0..N {
                        tg.start_soon(async move { Ok::<_, BoxError>($child(i).await) });
                    }
                    Ok::<_, BoxError>(())
                }))
                .unwrap();
            })
        });
        let rt = tokio_rt();
        g.bench_function("tokio_joinset", |b| {
            b.iter(|| {
                tokio_local(&rt, async {
                    let mut set = JoinSet::new();
                    for i in 0..N {
                        set.spawn_local(async move { Ok::<_, BoxError>($child(i).await) });
                    }
                    while let Some(r) = set.join_next().await {
                        r.unwrap().unwrap();
                    }
                })
            })
        });
        g.finish();
    }};
}

fn task_group_ready(c: &mut Criterion) {
    group_bench!(c, "task_group_10k_ready", ready);
}

fn task_group_once_pending(c: &mut Criterion) {
    group_bench!(c, "task_group_10k_once_pending", once_pending);
}

criterion_group! {
    name = benches;
    config = evloop_benches::criterion();
    targets = gather_ready, gather_once_pending, task_group_ready, task_group_once_pending
}
criterion_main!(benches);
