//! `RemoteTask`: the result of `LoopHandle::spawn`, awaitable anywhere.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use super::completion::{completion, Completion};
use crate::task::error::TaskError;

/// A task spawned from another thread with [`LoopHandle::spawn`](crate::LoopHandle::spawn).
///
/// It is `Send` and can be awaited from any thread or executor. Dropping it
/// detaches the task.
pub struct RemoteTask<T> {
    inner: Completion<T>,
}

/// Builds the handle and the job to run on the loop thread, where `make`
/// builds the future and spawns it.
pub(crate) fn pair<M, F>(make: M) -> (RemoteTask<F::Output>, impl FnOnce() + Send + 'static)
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send,
{
    let (completer, inner) = completion();
    let job = move || {
        let fut = match catch_unwind(AssertUnwindSafe(make)) {
            Ok(fut) => fut,
            Err(panic) => return completer.complete(Err(TaskError::panic(panic))),
        };
        // Detached: the RemoteTask observes the result through the slot. If
        // the loop closes first, dropping the completer reports cancellation.
        drop(crate::spawn(async move {
            let mut fut = pin!(fut);
            let result = poll_fn(|cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(panic) => Poll::Ready(Err(TaskError::panic(panic))),
            })
            .await;
            completer.complete(result);
        }));
    };
    (RemoteTask { inner }, job)
}

impl<T> RemoteTask<T> {
    /// True once the task has finished (with a value or an error).
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<T> Future for RemoteTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.poll(cx, "RemoteTask")
    }
}

impl<T> fmt::Debug for RemoteTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}
