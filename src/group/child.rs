//! The future a task group spawns around each child.
//!
//! It runs the child's future, catching a panic, and reports to the group:
//! an `Ok` value becomes the task's output; an `Err` goes to the group,
//! which starts aborting on the next tick, and the task then ends as cancelled (its handle
//! yields a cancelled `TaskError`: the error itself is in the `ErrorGroup`);
//! a panic goes to the group, to be resumed out of `task_group`, and the task
//! ends with a stand-in panic (`resume_unwind`, so the panic hook — which
//! already reported the original — stays quiet).
//!
//! A [`Release`] guard lives in the future from the start, so the group
//! learns that the child is gone however its future is dropped: after
//! finishing, on cancellation, before its first poll, or at loop close.

use std::future::{pending, poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use super::state::GroupState;
use crate::BoxError;

/// The message of the stand-in panic a panicked child's task ends with.
pub(crate) const CHILD_PANICKED: &str =
    "this task group child panicked; the panic was resumed out of evloop::task_group";

/// Tells the group that child `key` is gone, when dropped.
pub(crate) struct Release {
    pub(crate) state: Rc<GroupState>,
    pub(crate) key: usize,
}

impl Drop for Release {
    fn drop(&mut self) {
        self.state.release(self.key);
    }
}

/// A `Result` whose error can go into an `ErrorGroup`. Naming the child's
/// output through this trait keeps `child`'s future generic over `F` alone,
/// so it is `'static` exactly when `F` is.
pub(crate) trait ChildResult {
    type Value;
    fn into_result(self) -> Result<Self::Value, BoxError>;
}

impl<T, E: Into<BoxError>> ChildResult for Result<T, E> {
    type Value = T;
    fn into_result(self) -> Result<T, BoxError> {
        self.map_err(Into::into)
    }
}

/// The future spawned for one child. The arguments move into it at the
/// call, so the guard is dropped with it even if it never runs.
pub(crate) async fn child<F>(release: Release, fut: F) -> <F::Output as ChildResult>::Value
where
    F: Future,
    F::Output: ChildResult,
{
    let outcome = {
        let mut fut = pin!(Some(fut));
        let outcome = poll_fn(|cx| {
            let polled = catch_unwind(AssertUnwindSafe(|| {
                fut.as_mut()
                    .as_pin_mut()
                    .expect("evloop: task group child polled after it finished")
                    .poll(cx)
            }));
            match polled {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
                Err(panic) => Poll::Ready(Err(panic)),
            }
        })
        .await;
        // Whatever happened, the child's future is done: drop it now.
        // (A destructor that panics here unwinds into the task, as it would anywhere.)
        fut.set(None);
        outcome
    };
    match outcome {
        Ok(out) => match out.into_result() {
            Ok(value) => value,
            Err(err) => {
                release.state.child_failed(err);
                // End this task as cancelled: its handle has no value to give.
                release.state.cancel_child(release.key);
                pending().await
            }
        },
        Err(panic) => {
            release.state.child_panicked(panic);
            resume_unwind(Box::new(CHILD_PANICKED))
        }
    }
}
