//! `timeout` and `timeout_at` (asyncio's `wait_for` / `asyncio.timeout`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
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
#[inline]
pub fn timeout<F: Future>(duration: Duration, fut: F) -> Timeout<F> {
    Timeout {
        fut: Some(fut),
        sleep: sleep(duration),
    }
}

/// Runs `fut` until `deadline` at most; see [`timeout`].
///
/// # Panics
/// When polled outside a running loop ("no running event loop").
pub fn timeout_at<F: Future>(deadline: Instant, fut: F) -> Timeout<F> {
    Timeout {
        fut: Some(fut),
        sleep: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "a Timeout does nothing unless awaited"]
    pub struct Timeout<F> {
        // `None` once finished: on expiry the inner future is dropped at once.
        #[pin]
        fut: Option<F>,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The deadline, when known (see [`Sleep::deadline`]).
    pub fn deadline(&self) -> Option<Instant> {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.fut.as_mut().as_pin_mut() else {
            panic!("Timeout polled again after it completed");
        };
        if let Poll::Ready(v) = inner.poll(cx) {
            this.fut.set(None);
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => {
                // The inner future is cancelled: what it awaited is too.
                crate::cancel::as_cancellation(|| this.fut.set(None));
                Poll::Ready(Err(Elapsed::new()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("sleep", &self.sleep)
            .field("finished", &self.fut.is_none())
            .finish()
    }
}
