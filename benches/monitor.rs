//! What measuring costs: `spawn_many` and `yield_many` on a loop built
//! without monitoring options, on one with a slow-poll threshold (every
//! poll timed on the coarse clock) and on one with only a stall threshold
//! (every poll published for the watchdog thread), in the same run.
//!
//! `cargo bench -p evloop-benches --bench monitor`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

fn loops() -> [(&'static str, evloop::EventLoop); 3] {
    [
        ("monitor_off", evloop::EventLoop::new().unwrap()),
        (
            "monitor_on",
            evloop::EventLoop::builder()
                .slow_poll_threshold(Duration::from_millis(100))
                .build()
                .unwrap(),
        ),
        (
            "stall_watchdog",
            evloop::EventLoop::builder()
                .stall_threshold(Duration::from_secs(1))
                .build()
                .unwrap(),
        ),
    ]
}

fn spawn_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("monitor_spawn_many");
    for (name, lp) in loops() {
        g.bench_function(name, |b| {
            b.iter(|| {
                lp.block_on(async {
                    let tasks: Vec<_> = (0..100_000usize).map(|i| evloop::spawn(async move { i })).collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                })
            })
        });
    }
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("monitor_yield_many");
    for (name, lp) in loops() {
        g.bench_function(name, |b| {
            b.iter(|| {
                lp.block_on(async {
                    let tasks: Vec<_> = (0..1000)
                        .map(|_| {
                            evloop::spawn(async {
                                for _ in 0..100 {
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
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = evloop_benches::criterion();
    targets = spawn_many, yield_many
}
criterion_main!(benches);
