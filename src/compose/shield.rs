//! `shield`: protect a future from the cancellation of whoever awaits it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Task, TaskError};

/// Runs `fut` as a task of its own and returns a handle that awaits it
/// without owning it (asyncio's `shield`).
///
/// Cancelling or timing out the awaiter drops only the [`Shield`]: the
/// inner task keeps running to its end. To still collect its result after an
/// outer timeout, time out `&mut shield` and await the shield again. The
/// task starts at once — like [`spawn`](crate::spawn), its body first runs
/// on a later poll of the loop.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let saved = Rc::new(Cell::new(false));
///     let s = saved.clone();
///     let mut save = evloop::shield(async move {
///         evloop::sleep(Duration::from_secs(1)).await; // critical_save
///         s.set(true);
///         "saved"
///     });
///     // The awaiter gives up after 100 ms...
///     assert!(evloop::timeout(Duration::from_millis(100), &mut save).await.is_err());
///     assert!(!saved.get());
///     // ...but the save goes on, and its result is still there.
///     assert_eq!(save.await.unwrap(), "saved");
///     assert!(saved.get());
/// });
/// ```
///
/// # Panics
/// Outside a running loop, with a message containing "no running event loop".
#[track_caller]
pub fn shield<F: Future + 'static>(fut: F) -> Shield<F::Output> {
    Shield {
        // Detached: dropping the Shield, even as part of a cancellation,
        // never cancels the shielded task.
        task: crate::spawn(fut).detached(),
    }
}

/// The handle returned by [`shield`]: awaiting it yields the inner task's
/// result; dropping it leaves the task running (detached).
///
/// `Shield` is `Unpin`, so `&mut shield` can be awaited (or timed out) and
/// the shield awaited again later.
#[must_use = "dropping a Shield detaches the shielded task; await it or drop it on purpose"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Unpin for Shield<T> {}

impl<T> Shield<T> {
    /// True once the shielded task has finished.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The shielded task's handle, for example to cancel it on purpose.
    pub fn into_task(self) -> Task<T> {
        self.task
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().task).poll(cx)
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield").field("task", &self.task).finish()
    }
}
