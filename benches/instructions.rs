//! Instructions per operation, for the table in `docs/benchmarks.md`: one
//! workload on one runtime, run once to warm up and once more inside
//! [`measured`], which `benches/count_instructions.sh` has callgrind count
//! (`--toggle-collect`). Timing-free, so it does not care how noisy the
//! machine is. A plain main, not criterion:
//!
//! ```text
//! cargo bench -p evloop-benches --bench instructions -- WORKLOAD RUNTIME
//! benches/count_instructions.sh            # every row, under callgrind
//! ```
//!
//! Runtimes: `evloop`, `reference` (the reference loop,
//! `benches/src/reference.rs`), `tokio` (current_thread + LocalSet),
//! `async_executor`, `futures` (futures' `LocalPool`). The scheduling workloads are those of
//! `benches/scheduling.rs`; `timeout` and `sleep` (evloop and tokio only,
//! since the reference loop has no timers) those of `benches/timers.rs`.

use std::future::Future;
use std::time::Duration;

use futures::FutureExt;

use evloop_benches::{reference, slot, SlotTx};

/// What a workload needs of a runtime.
trait Runtime {
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    fn spawn<F: Future + 'static>(f: F) -> impl Future<Output = F::Output>;
    /// Spawns without keeping a handle (`chained_spawn`): the handle is
    /// dropped, which detaches the task, unless a runtime has a cheaper way.
    fn spawn_detached<F: Future + 'static>(f: F) {
        drop(Self::spawn(f));
    }
    fn yield_now() -> impl Future<Output = ()>;
}

struct Evloop(evloop::EventLoop);
impl Runtime for Evloop {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F: Future + 'static>(f: F) -> impl Future<Output = F::Output> {
        evloop::spawn(f).map(Result::unwrap)
    }
    fn yield_now() -> impl Future<Output = ()> {
        evloop::yield_now()
    }
}

struct Reference;
impl Runtime for Reference {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        reference::block_on(f)
    }
    fn spawn<F: Future + 'static>(f: F) -> impl Future<Output = F::Output> {
        reference::spawn(f)
    }
    fn yield_now() -> impl Future<Output = ()> {
        reference::yield_now()
    }
}

struct Tokio(tokio::runtime::Runtime);
impl Runtime for Tokio {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        evloop_benches::tokio_local(&self.0, f)
    }
    fn spawn<F: Future + 'static>(f: F) -> impl Future<Output = F::Output> {
        tokio::task::spawn_local(f).map(Result::unwrap)
    }
    fn yield_now() -> impl Future<Output = ()> {
        tokio::task::yield_now()
    }
}

thread_local! {
    static EXECUTOR: &'static async_executor::LocalExecutor<'static> =
        Box::leak(Box::new(async_executor::LocalExecutor::new()));
}
/// A join handle that cancels its task when dropped (async-executor's
/// `Task`, futures' `RemoteHandle`), and how to let the task go on instead.
trait Detach: Future + Unpin {
    fn detach(self);
}

impl<T> Detach for async_executor::Task<T> {
    fn detach(self) {
        async_executor::Task::detach(self);
    }
}

impl<T: 'static> Detach for futures::future::RemoteHandle<T> {
    fn detach(self) {
        self.forget();
    }
}

/// evloop's and tokio's handles detach their task when dropped; this one
/// makes the others do the same, so every runtime runs the same program
/// (`chained_spawn` drops its handles).
struct Detaching<H: Detach>(Option<H>);

impl<H: Detach> Future for Detaching<H> {
    type Output = H::Output;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<H::Output> {
        let handle = self.0.as_mut().expect("polled after completion");
        let out = std::pin::Pin::new(handle).poll(cx);
        if out.is_ready() {
            self.0 = None;
        }
        out
    }
}

impl<H: Detach> Drop for Detaching<H> {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.detach();
        }
    }
}

struct AsyncExecutor;
impl Runtime for AsyncExecutor {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        futures_lite::future::block_on(EXECUTOR.with(|ex| *ex).run(f))
    }
    fn spawn<F: Future + 'static>(f: F) -> impl Future<Output = F::Output> {
        Detaching(Some(EXECUTOR.with(|ex| ex.spawn(f))))
    }
    fn yield_now() -> impl Future<Output = ()> {
        futures_lite::future::yield_now()
    }
}

thread_local! {
    static POOL: std::cell::RefCell<futures::executor::LocalPool> =
        std::cell::RefCell::new(futures::executor::LocalPool::new());
    static SPAWNER: futures::executor::LocalSpawner = POOL.with(|pool| pool.borrow().spawner());
}

struct FuturesPool;
impl Runtime for FuturesPool {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        // The spawner is taken from the pool once, before the pool is
        // borrowed to run (tasks spawn while it runs).
        SPAWNER.with(|_| ());
        POOL.with(|pool| pool.borrow_mut().run_until(f))
    }
    fn spawn<F: Future + 'static>(f: F) -> impl Future<Output = F::Output> {
        use futures::task::LocalSpawnExt;
        Detaching(Some(
            SPAWNER.with(|s| s.spawn_local_with_handle(f).expect("the pool is alive")),
        ))
    }
    /// `spawn_local`, as `benches/scheduling.rs` chains on the pool: no
    /// `RemoteHandle` (an `Arc` and a one-shot channel) for a handle nobody keeps.
    fn spawn_detached<F: Future + 'static>(f: F) {
        use futures::task::LocalSpawnExt;
        SPAWNER.with(|s| s.spawn_local(async move { drop(f.await) }).expect("the pool is alive"));
    }
    fn yield_now() -> impl Future<Output = ()> {
        evloop_benches::yield_once()
    }
}

/// 100,000 tasks spawned, then awaited in order. One operation: a spawn,
/// its poll, its completion and the join.
fn spawn_many<R: Runtime>(rt: &R) -> u64 {
    const N: usize = 100_000;
    rt.block_on(async {
        let tasks: Vec<_> = (0..N).map(|i| R::spawn(async move { i })).collect();
        for t in tasks {
            std::hint::black_box(t.await);
        }
    });
    N as u64
}

/// 1,000 tasks × 100 yields. One operation: a yield (the wake and the
/// poll), plus a hundredth of a spawn.
fn yield_many<R: Runtime>(rt: &R) -> u64 {
    const TASKS: usize = 1_000;
    const YIELDS: usize = 100;
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                R::spawn(async {
                    for _ in 0..YIELDS {
                        R::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await;
        }
    });
    (TASKS * YIELDS) as u64
}

/// A task spawns the next, 10,000 deep. One operation: a spawn, a tick and
/// a poll that finishes the task, the handle dropped (detached).
fn chained_spawn<R: Runtime>(rt: &R) -> u64 {
    const CHAIN: usize = 10_000;
    fn chain<R: Runtime>(n: usize, done: SlotTx<()>) {
        if n == 0 {
            done.send(());
        } else {
            R::spawn_detached(async move { chain::<R>(n - 1, done) });
        }
    }
    rt.block_on(async {
        let (tx, rx) = slot();
        R::spawn_detached(async move { chain::<R>(CHAIN, tx) });
        rx.await
    });
    CHAIN as u64
}

/// 1,000 tasks × 100 round trips through two one-shot slots and a spawned
/// peer. One operation: a round trip (a spawn, two cross-task wakes).
fn ping_pong<R: Runtime>(rt: &R) -> u64 {
    const PAIRS: usize = 1_000;
    const ROUND_TRIPS: usize = 100;
    rt.block_on(async {
        let pairs: Vec<_> = (0..PAIRS)
            .map(|_| {
                R::spawn(async {
                    for i in 0..ROUND_TRIPS {
                        let (ping_tx, ping_rx) = slot::<usize>();
                        let (pong_tx, pong_rx) = slot::<usize>();
                        let peer = R::spawn(async move { pong_tx.send(ping_rx.await + 1) });
                        ping_tx.send(i);
                        assert_eq!(pong_rx.await, i + 1);
                        drop(peer);
                    }
                })
            })
            .collect();
        for p in pairs {
            p.await;
        }
    });
    (PAIRS * ROUND_TRIPS) as u64
}

/// What the timer workloads need besides [`Runtime`] (the reference loop
/// has no timers).
trait Timers: Runtime {
    fn sleep(d: Duration) -> impl Future<Output = ()> + 'static;
    /// `Some` if `f` finished within `d`.
    fn timeout<F: Future>(d: Duration, f: F) -> impl Future<Output = Option<F::Output>>;
}

impl Timers for Evloop {
    fn sleep(d: Duration) -> impl Future<Output = ()> + 'static {
        evloop::sleep(d)
    }
    fn timeout<F: Future>(d: Duration, f: F) -> impl Future<Output = Option<F::Output>> {
        evloop::timeout(d, f).map(Result::ok)
    }
}

impl Timers for Tokio {
    fn sleep(d: Duration) -> impl Future<Output = ()> + 'static {
        tokio::time::sleep(d)
    }
    fn timeout<F: Future>(d: Duration, f: F) -> impl Future<Output = Option<F::Output>> {
        tokio::time::timeout(d, f).map(Result::ok)
    }
}

/// 1,000 tasks × 100 `timeout(10 s, yield)`. One operation: a timer armed
/// and disarmed around a yield.
fn timeout<R: Timers>(rt: &R) -> u64 {
    rt.block_on(async {
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                R::spawn(async {
                    for _ in 0..100 {
                        R::timeout(Duration::from_secs(10), R::yield_now()).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await;
        }
    });
    100_000
}

/// 100,000 tasks each sleeping (i % 1000) × 10 µs. One operation: a spawn,
/// a timer armed and fired, the join.
fn sleep<R: Timers>(rt: &R) -> u64 {
    rt.block_on(async {
        let tasks: Vec<_> = (0..100_000)
            .map(|i| R::spawn(R::sleep(Duration::from_micros((i % 1000) * 10))))
            .collect();
        for t in tasks {
            t.await;
        }
    });
    100_000
}

/// The counted region: callgrind collects only inside this function.
#[inline(never)]
fn measured(run: &dyn Fn() -> u64) -> u64 {
    run()
}

/// Runs the workload once to warm up, then once inside [`measured`]. With
/// `TIME_RUNS=N` in the environment it runs it N more times and prints the
/// least CPU time the thread spent on one run, for a quick A/B between two
/// builds on a busy machine (criterion's figures are the ones to report).
fn run_twice(run: &dyn Fn() -> u64) {
    run();
    let ops = measured(run);
    println!("operations: {ops}");
    if let Some(n) = std::env::var("TIME_RUNS").ok().and_then(|n| n.parse::<u32>().ok()) {
        let best = (0..n)
            .map(|_| {
                let start = evloop_benches::thread_cpu_time();
                run();
                evloop_benches::thread_cpu_time() - start
            })
            .min()
            .unwrap_or_default();
        println!("least CPU time of {n}: {best:?}");
    }
}

fn scheduling<R: Runtime>(workload: &str, rt: &R) -> bool {
    match workload {
        "spawn_many" => run_twice(&|| spawn_many(rt)),
        "yield_many" => run_twice(&|| yield_many(rt)),
        "chained_spawn" => run_twice(&|| chained_spawn(rt)),
        "ping_pong" => run_twice(&|| ping_pong(rt)),
        _ => return false,
    }
    true
}

fn with_timers<R: Timers>(workload: &str, rt: &R) -> bool {
    match workload {
        "timeout" => run_twice(&|| timeout(rt)),
        "sleep" => run_twice(&|| sleep(rt)),
        w => return scheduling(w, rt),
    }
    true
}

fn main() {
    // `cargo bench` appends `--bench`; ignore flags.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let [workload, runtime] = &args[..] else {
        eprintln!("usage: instructions WORKLOAD RUNTIME (see the module doc)");
        std::process::exit(2);
    };
    let known = match runtime.as_str() {
        "evloop" => with_timers(workload, &Evloop(evloop::EventLoop::new().expect("an event loop"))),
        "tokio" => with_timers(workload, &Tokio(evloop_benches::tokio_rt())),
        "reference" => scheduling(workload, &Reference),
        "async_executor" => scheduling(workload, &AsyncExecutor),
        "futures" => scheduling(workload, &FuturesPool),
        _ => false,
    };
    if !known {
        eprintln!("unknown workload {workload:?} on runtime {runtime:?} (see the module doc)");
        std::process::exit(2);
    }
}
