//! `timeout` and `timeout_at` (asyncio's `wait_for` / `asyncio.timeout`).

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use super::sleep::{sleep, sleep_until, Sleep};

/// The error of a future that did not finish before its deadline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Debug for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Elapsed")
    }
}

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `fut` for at most `duration` (asyncio's `wait_for`).
///
/// On expiry the inner future is dropped — that is its cancellation, so its
/// destructors and `on_cancel` hooks have run — and `Err(Elapsed)` is
/// returned. A future that completes in the same tick as the deadline wins.
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// evloop::run(async {
///     let slow = evloop::sleep(Duration::from_secs(60));
///     assert!(evloop::timeout(Duration::from_millis(10), slow).await.is_err());
///     let quick = async { 7 };
///     assert_eq!(evloop::timeout(Duration::from_millis(10), quick).await, Ok(7));
/// });
/// ```
///
/// # Panics
/// When polled outside a running loop ("no running event loop").
pub fn timeout<F: Future>(duration: Duration, fut: F) -> impl Future<Output = Result<F::Output, Elapsed>> {
    run_until(sleep(duration), fut)
}

/// Runs `fut` until `deadline` at most; see [`timeout`].
///
/// # Panics
/// When polled outside a running loop ("no running event loop").
pub fn timeout_at<F: Future>(deadline: Instant, fut: F) -> impl Future<Output = Result<F::Output, Elapsed>> {
    run_until(sleep_until(deadline), fut)
}

async fn run_until<F: Future>(mut sleep: Sleep, fut: F) -> Result<F::Output, Elapsed> {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(&mut sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
