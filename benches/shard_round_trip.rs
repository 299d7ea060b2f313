//! Cross-shard round trip: how long shard 0 waits for a message to reach
//! shard 1's loop and an answer to come back, with shard 1 idle (asleep in
//! `epoll_wait`) and busy (always running tasks).
//!
//! ```text
//! cargo bench -p evloop-benches --bench shard_round_trip   # all four lines
//! ROUNDS=50000 cargo bench -p evloop-benches --bench shard_round_trip
//! ```
//!
//! Two paths are measured:
//! - `spawn_with`: `handle(1).spawn_with(..)` and awaiting its
//!   `RemoteTask` (what `examples/resp_server` does for each batch);
//! - `call_soon_threadsafe`: a closure to shard 1 that sends a closure back
//!   to shard 0, which completes a oneshot the measuring task awaits.
//!
//! Each line prints p50, p99 and the mean over `ROUNDS` round trips
//! (default 20 000, after 1 000 for warm-up). A harness-less bench (not
//! criterion), because the figure that matters is the tail, not the mean.
//! Self-contained on purpose: one file, no helpers.

use std::future::ready;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evloop::shard::{self, Shard};

const WARM_UP: usize = 1_000;

/// Shard 1's load while shard 0 measures.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// Nothing to do: the loop sleeps in epoll_wait until a message wakes it.
    Idle,
    /// Eight tasks that each spin ~5 µs and yield: the loop never sleeps,
    /// a tick lasts about 40 µs, and a message waits for the tick to end.
    Busy,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    SpawnWith,
    CallSoonThreadsafe,
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20_000);
    println!("cross-shard round trip, {rounds} rounds each (2 shards; shard 0 measures, shard 1 answers)");
    println!(
        "{:<24} {:<6} {:>10} {:>10} {:>10}",
        "path", "target", "p50", "p99", "mean"
    );
    for target in [Target::Idle, Target::Busy] {
        for path in [Path::SpawnWith, Path::CallSoonThreadsafe] {
            let mut samples = measure(path, target, rounds);
            samples.sort_unstable();
            let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
            let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
            let name = match path {
                Path::SpawnWith => "spawn_with + await",
                Path::CallSoonThreadsafe => "call_soon_threadsafe x2",
            };
            let target = format!("{target:?}").to_lowercase();
            println!(
                "{name:<24} {target:<6} {:>10.2?} {:>10.2?} {:>10.2?}",
                pct(0.50),
                pct(0.99),
                mean
            );
        }
    }
}

/// Round-trip times measured on shard 0.
fn measure(path: Path, target: Target, rounds: usize) -> Vec<Duration> {
    let done = Arc::new(AtomicBool::new(false));
    let mut outputs = shard::run(2, move |me: Shard| {
        let done = done.clone();
        async move {
            if me.index() == 1 {
                if target == Target::Busy {
                    for _ in 0..8 {
                        let done = done.clone();
                        let _busy = evloop::spawn(async move {
                            while !done.load(Ordering::Relaxed) {
                                spin(Duration::from_micros(5));
                                evloop::yield_now().await;
                            }
                        });
                    }
                }
                // Serve until shard 0 is done (its handle tells us).
                while !done.load(Ordering::Relaxed) {
                    evloop::sleep(Duration::from_millis(10)).await;
                }
                return Vec::new();
            }
            let there = me.handle(1);
            let back = me.handle(0);
            let mut samples = Vec::with_capacity(rounds);
            for i in 0..WARM_UP + rounds {
                let start = Instant::now();
                match path {
                    Path::SpawnWith => there.spawn_with(|| ready(())).await.unwrap(),
                    Path::CallSoonThreadsafe => {
                        let (tx, rx) = futures::channel::oneshot::channel::<()>();
                        let back = back.clone();
                        there
                            .call_soon_threadsafe(move || {
                                back.call_soon_threadsafe(move || {
                                    let _ = tx.send(());
                                })
                                .expect("the shard is running");
                            })
                            .expect("the shard is running");
                        rx.await.unwrap();
                    }
                }
                if i >= WARM_UP {
                    samples.push(start.elapsed());
                }
            }
            done.store(true, Ordering::Relaxed);
            samples
        }
    });
    outputs.swap_remove(0)
}

/// Burns `d` of CPU.
fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}
