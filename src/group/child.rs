//! The future a task group spawns around each child.
//!
//! It runs the child's future, catching a panic, and reports to the group:
//! an `Ok` value becomes the task's output; an `Err` goes to the group,
//! which starts aborting on the next tick, and the task then ends as
//! cancelled (its handle yields a cancelled `TaskError`: the error itself is
//! in the `ErrorGroup`);
//! a panic goes to the group, to be resumed out of `task_group`, and the task
//! ends with a stand-in panic (`resume_unwind`, so the panic hook — which
//! already reported the original — stays quiet).
//!
//! A [`Release`] guard lives in the future from the start, so the group
//! learns that the child is gone however its future is dropped: after
//! finishing, on cancellation, before its first poll, or at loop close.
//!
//! # Pinning
//!
//! [`Child`] pins its `fut` field structurally and no other: `pin_project!`
//! writes the projection, and checks what makes it sound (no `Drop` impl of
//! `Child`'s own, `Unpin` only when `F` is).

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

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
/// output through this trait keeps [`Child`] generic over `F` alone, so it
/// is `'static` exactly when `F` is.
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

pin_project! {
    /// The future spawned for one child.
    ///
    /// Hand-written rather than an `async fn` to keep it small — the future's
    /// size is copied three times on its way into the task cell, ten thousand
    /// times for ten thousand children: here it is the child's future plus
    /// three words.
    pub(crate) struct Child<F> {
        #[pin]
        fut: F,
        // Declared after `fut`, so the group hears of the drop once the
        // child's own destructors have run.
        release: Release,
        // The child failed or panicked; the task is being cancelled.
        done: bool,
    }
}

impl<F> Child<F> {
    pub(crate) fn new(release: Release, fut: F) -> Child<F> {
        Child {
            fut,
            release,
            done: false,
        }
    }
}

impl<F> Future for Child<F>
where
    F: Future,
    F::Output: ChildResult,
{
    type Output = <F::Output as ChildResult>::Value;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if *this.done {
            return Poll::Pending;
        }
        let fut = this.fut;
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => match out.into_result() {
                Ok(value) => Poll::Ready(value),
                Err(err) => {
                    *this.done = true;
                    this.release.state.child_failed(err);
                    // End this task as cancelled: its handle has no value to give.
                    this.release.state.cancel_child(this.release.key);
                    Poll::Pending
                }
            },
            Err(panic) => {
                *this.done = true;
                this.release.state.child_panicked(panic);
                resume_unwind(Box::new(CHILD_PANICKED))
            }
        }
    }
}
