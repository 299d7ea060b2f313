//! Timer lateness: how long after its deadline a sleep on an idle loop
//! returns. 2,000 sleeps of random 0.1–5 ms, one after another; prints the
//! p50 / p99 / max of (wake − deadline) for each runtime, measured in the same
//! run, and writes them to `target/timer_lateness.csv` for the plot.
//!
//! It also measures how long a wake sent from another thread takes to run
//! on an idle loop (`LoopHandle::call_soon_threadsafe`), evloop vs tokio's
//! `Handle::spawn` on an idle current_thread runtime.
//!
//! `cargo bench -p evloop-benches --bench timer_lateness`

use std::io::Write;
use std::time::{Duration, Instant};

use evloop_test_support::Rng;

const SLEEPS: usize = 2_000;

/// The same sleep lengths for every runtime (a seeded generator).
fn durations() -> Vec<Duration> {
    let mut rng = Rng::new(1);
    (0..SLEEPS)
        .map(|_| Duration::from_micros(100 + rng.next() % 4_900))
        .collect()
}

struct Summary {
    name: &'static str,
    lateness: Vec<Duration>,
}

impl Summary {
    fn pct(&self, p: f64) -> Duration {
        let i = ((self.lateness.len() - 1) as f64 * p).round() as usize;
        self.lateness[i]
    }
}

fn measure(name: &'static str, mut sleep_until: impl FnMut(Instant)) -> Summary {
    let mut lateness: Vec<Duration> = durations()
        .into_iter()
        .map(|d| {
            let deadline = Instant::now() + d;
            sleep_until(deadline);
            Instant::now().saturating_duration_since(deadline)
        })
        .collect();
    lateness.sort();
    Summary { name, lateness }
}

const REMOTE_WAKES: usize = 1_000;

/// Latency of `REMOTE_WAKES` wakes from another thread into an idle loop.
fn remote_wake_latency(
    name: &'static str,
    send: impl Fn(Box<dyn FnOnce() + Send>) + Send + 'static,
    run_loop: impl FnOnce(),
) -> Summary {
    use std::sync::{Arc, Mutex};
    let lateness = Arc::new(Mutex::new(Vec::with_capacity(REMOTE_WAKES)));
    let l = lateness.clone();
    let sender = std::thread::spawn(move || {
        for _ in 0..REMOTE_WAKES {
            // Let the loop fall asleep, then wake it.
            std::thread::sleep(Duration::from_micros(300));
            let sent = Instant::now();
            let l = l.clone();
            send(Box::new(move || l.lock().unwrap().push(sent.elapsed())));
        }
        send(Box::new(|| {}));
    });
    run_loop();
    sender.join().unwrap();
    let mut lateness = std::mem::take(&mut *lateness.lock().unwrap());
    lateness.sort();
    Summary { name, lateness }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("timer_lateness: bench");
        return;
    }
    // `cargo test --benches` runs bench targets in test mode: keep that quick.
    if std::env::args().any(|a| a == "--test") || std::env::var_os("EVLOOP_BENCH_QUICK").is_some() {
        println!("timer_lateness: skipped in test mode");
        return;
    }
    let mut results = Vec::new();

    let lp = evloop::EventLoop::new().unwrap();
    results.push(measure("evloop", |deadline| lp.block_on(evloop::sleep_until(deadline))));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    results.push(measure("tokio_current_thread", |deadline| {
        rt.block_on(async { tokio::time::sleep_until(deadline.into()).await })
    }));

    let ex = async_executor::LocalExecutor::new();
    results.push(measure("async_io", |deadline| {
        futures_lite::future::block_on(ex.run(async_io::Timer::at(deadline)));
    }));

    let lp = evloop::EventLoop::new().unwrap();
    let handle = lp.handle();
    let remote_evloop = remote_wake_latency(
        "evloop",
        {
            let handle = handle.clone();
            let count = std::sync::atomic::AtomicUsize::new(0);
            move |f| {
                let n = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let h = handle.clone();
                handle
                    .call_soon_threadsafe(move || {
                        f();
                        if n == REMOTE_WAKES {
                            h.stop();
                        }
                    })
                    .expect("the loop is running")
            }
        },
        || lp.run_forever(),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = std::sync::Mutex::new(Some(tx));
    let trt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let th = trt.handle().clone();
    let count = std::sync::atomic::AtomicUsize::new(0);
    let remote_tokio = remote_wake_latency(
        "tokio_current_thread",
        move |f| {
            let n = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tx = if n == REMOTE_WAKES {
                tx.lock().unwrap().take()
            } else {
                None
            };
            drop(th.spawn(async move {
                f();
                if let Some(tx) = tx {
                    let _ = tx.send(());
                }
            }));
        },
        || trt.block_on(async { rx.await.unwrap() }),
    );

    println!("timer lateness over {SLEEPS} sleeps of 0.1-5 ms on an idle loop (wake - deadline):");
    println!("{:<22} {:>10} {:>10} {:>10}", "runtime", "p50", "p99", "max");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/timer_lateness.csv");
    let mut csv = std::fs::File::create(&path).ok();
    if let Some(f) = csv.as_mut() {
        let _ = writeln!(f, "runtime,p50_us,p99_us,max_us");
    }
    for r in &results {
        let (p50, p99, max) = (r.pct(0.50), r.pct(0.99), r.pct(1.0));
        println!("{:<22} {:>10.1?} {:>10.1?} {:>10.1?}", r.name, p50, p99, max);
        if let Some(f) = csv.as_mut() {
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            let _ = writeln!(f, "{},{:.1},{:.1},{:.1}", r.name, us(p50), us(p99), us(max));
        }
    }
    println!();
    println!("remote wake latency over {REMOTE_WAKES} wakes from another thread into an idle loop:");
    println!("{:<22} {:>10} {:>10} {:>10}", "runtime", "p50", "p99", "max");
    for r in [&remote_evloop, &remote_tokio] {
        println!(
            "{:<22} {:>10.1?} {:>10.1?} {:>10.1?}",
            r.name,
            r.pct(0.50),
            r.pct(0.99),
            r.pct(1.0)
        );
    }
}
