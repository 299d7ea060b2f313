//! evloop's benchmarks (an unpublished crate): the peer runtimes under
//! comparison, built the same way for every benchmark. The benchmarks are
//! the `*.rs` files beside `Cargo.toml`, each a criterion target:
//!
//! ```text
//! cargo bench -p evloop-benches --bench scheduling
//! ```
//!
//! `docs/benchmarks.md` has the figures and the commands that made them.

pub mod reference;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use criterion::Criterion;

/// Short runs: these machines are shared and noisy, and what we report is
/// the ratio between runtimes measured in the same run.
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args()
}

/// tokio's current_thread runtime, with I/O and timers enabled.
pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// tokio current_thread + LocalSet: `f` runs inside the LocalSet.
pub fn tokio_local<F: Future>(rt: &tokio::runtime::Runtime, f: F) -> F::Output {
    tokio::task::LocalSet::new().block_on(rt, f)
}

/// tokio's `LocalRuntime`: current_thread, spawning `!Send` tasks without a
/// `LocalSet`.
pub fn tokio_local_runtime() -> tokio::runtime::LocalRuntime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(Default::default())
        .unwrap()
}

/// CPU time this thread has used (user + system): steadier than wall time
/// for an A/B on a machine whose load changes.
pub fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // the platform defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A yield that works on any executor (futures' LocalPool has none).
#[derive(Debug)]
pub struct YieldOnce(bool);

/// Returns [`YieldOnce`]: pending once (waking itself), then ready.
pub fn yield_once() -> YieldOnce {
    YieldOnce(false)
}

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A one-shot slot on `std::task::Waker` alone, the same for every runtime
/// (futures' LocalPool has no channel of its own), so that `chained_spawn`
/// and `ping_pong` measure the runtimes and not their channels.
pub fn slot<T>() -> (SlotTx<T>, SlotRx<T>) {
    let shared = std::rc::Rc::new(std::cell::RefCell::new((None, None)));
    (SlotTx(shared.clone()), SlotRx(shared))
}

type Shared<T> = std::rc::Rc<std::cell::RefCell<(Option<T>, Option<std::task::Waker>)>>;

/// The sending half of [`slot`].
pub struct SlotTx<T>(Shared<T>);

/// The receiving half of [`slot`]: a future of the value.
pub struct SlotRx<T>(Shared<T>);

impl<T> std::fmt::Debug for SlotTx<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlotTx")
    }
}

impl<T> std::fmt::Debug for SlotRx<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlotRx")
    }
}

impl<T> SlotTx<T> {
    /// Stores `v` and wakes the receiver.
    pub fn send(self, v: T) {
        let mut s = self.0.borrow_mut();
        s.0 = Some(v);
        if let Some(w) = s.1.take() {
            w.wake();
        }
    }
}

impl<T> Future for SlotRx<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.0.borrow_mut();
        match s.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
