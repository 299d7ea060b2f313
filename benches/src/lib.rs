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
