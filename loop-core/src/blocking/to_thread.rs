//! `to_thread`: run blocking work on the loop's blocking pool.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context;
use crate::remote::completion::{completion, Completion};
use crate::task::error::TaskError;

/// Runs `f` on the loop's blocking pool and waits for its result without
/// blocking the loop (asyncio's `asyncio.to_thread` / `run_in_executor`).
///
/// Threads start on demand, up to `Builder::max_blocking_threads` (default
/// four per core); idle ones exit after a while. A panic in `f` becomes a
/// [`TaskError`] (`is_panic`). Dropping the future before a thread has
/// started `f` skips it; once started, `f` runs to the end (a thread cannot be
/// interrupted) and its result is discarded. While `run` closes the loop,
/// new calls are refused (`is_refused`), and `run` waits for the calls
/// already running before it returns (up to `Builder::blocking_shutdown_timeout`).
///
/// ```
/// # use evloop_core as evloop;
/// evloop::run(async {
///     let loop_thread = std::thread::current().id();
///     let (sum, thread) = evloop::to_thread(|| {
///         std::thread::sleep(std::time::Duration::from_millis(10)); // blocking is fine here
///         ((1..=100u64).sum::<u64>(), std::thread::current().id())
///     })
///     .await
///     .unwrap();
///     assert_eq!(sum, 5050);
///     assert_ne!(thread, loop_thread);
/// });
/// ```
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn to_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ToThread<T> {
    let (completer, inner) = completion();
    context::with_core("evloop::to_thread", |core| {
        let job = Box::new(move || {
            // The awaiting future was dropped before a thread got to the
            // job (its task was cancelled): skip the work.
            if completer.is_abandoned() {
                return;
            }
            let result = catch_unwind(AssertUnwindSafe(f)).map_err(TaskError::panic);
            completer.complete(result);
        });
        if core.blocking().submit(job).is_err() {
            // The job (and its completer) were dropped: report why instead.
            let (refuse, refused) = completion();
            refuse.complete(Err(TaskError::refused(
                "to_thread refused: the event loop is closing (run() is cancelling the remaining tasks)",
            )));
            return ToThread { inner: refused };
        }
        ToThread { inner }
    })
}

/// The future returned by [`to_thread`].
#[must_use = "to_thread's result is lost unless awaited"]
pub struct ToThread<T> {
    inner: Completion<T>,
}

impl<T> Future for ToThread<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.poll(cx, "ToThread")
    }
}

impl<T> fmt::Debug for ToThread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToThread")
            .field("finished", &self.inner.is_finished())
            .finish()
    }
}
