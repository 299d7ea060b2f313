//! `RemoteTask`: the result of `LoopHandle::spawn`, awaitable anywhere.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::task::error::TaskError;

struct Slot<T> {
    result: Option<Result<T, TaskError>>,
    waker: Option<Waker>,
    taken: bool,
}

/// A task spawned from another thread with [`LoopHandle::spawn`](crate::LoopHandle::spawn).
///
/// It is `Send` and can be awaited from any thread or executor. Dropping it
/// detaches the task.
pub struct RemoteTask<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

/// Completes the slot; if dropped unused (the loop went away before the
/// future finished), completes it as cancelled.
struct Completer<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Completer<T> {
    fn complete(&self, result: Result<T, TaskError>) {
        let waker = {
            let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            if slot.result.is_some() || slot.taken {
                return;
            }
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        self.complete(Err(TaskError::cancelled()));
    }
}

/// Builds the handle and the job to run on the loop thread, where `make`
/// builds the future and spawns it.
pub(crate) fn pair<M, F>(make: M) -> (RemoteTask<F::Output>, impl FnOnce() + Send + 'static)
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
        taken: false,
    }));
    let completer = Completer { slot: slot.clone() };
    let job = move || {
        let fut = match catch_unwind(AssertUnwindSafe(make)) {
            Ok(fut) => fut,
            Err(panic) => return completer.complete(Err(TaskError::panic(panic))),
        };
        // Detached: the RemoteTask observes the result through the slot.
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
    (RemoteTask { slot }, job)
}

impl<T> RemoteTask<T> {
    /// True once the task has finished (with a value or an error).
    pub fn is_finished(&self) -> bool {
        let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.result.is_some() || slot.taken
    }
}

impl<T> Future for RemoteTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(result) = slot.result.take() {
            slot.taken = true;
            return Poll::Ready(result);
        }
        assert!(!slot.taken, "RemoteTask polled again after it returned its output");
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for RemoteTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}
