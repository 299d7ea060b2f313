//! `as_completed`: outputs in the order the futures finish.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use super::set::{FutureSet, Round};

/// Yields the outputs of `futs` in the order they finish (asyncio's
/// `as_completed`).
///
/// The futures run in place, inside [`AsCompleted::next`] (or the
/// [`Stream`] it implements): they make progress while you are awaiting the
/// next output. To have them run regardless, spawn them and pass the
/// [`Task`](crate::Task)s. Each future has its own waker, so a wake polls only
/// that future: draining 100,000 futures costs O(100,000) polls. Dropping
/// the `AsCompleted` drops (cancels) the futures still running.
///
/// The set is boxed behind one allocation, hence the `'static` bound; to
/// borrow from the caller, use [`gather`](crate::gather).
///
/// ```
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let fetches = [3, 1, 2].map(|secs| async move {
///         evloop::sleep(Duration::from_secs(secs)).await;
///         secs
///     });
///     let mut done = evloop::as_completed(fetches);
///     let mut order = Vec::new();
///     while let Some(secs) = done.next().await {
///         order.push(secs);
///     }
///     assert_eq!(order, [1, 2, 3]);
/// });
/// ```
pub fn as_completed<I>(futs: I) -> AsCompleted<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    AsCompleted {
        set: Box::new(FutureSet::new(futs)),
    }
}

/// The stream of outputs returned by [`as_completed`], in completion order.
///
/// Await [`next`](Self::next), or use it as a [`futures_core::Stream`] —
/// `futures::StreamExt::next` (and the rest of `StreamExt`) works on it as
/// on any stream.
#[must_use = "as_completed does nothing unless you await next() or poll the stream"]
pub struct AsCompleted<T> {
    set: Box<dyn ErasedSet<T>>,
}

/// `FutureSet<F>` with `F` erased, so that `AsCompleted` names only the output.
trait ErasedSet<T> {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>>;
    fn remaining(&self) -> usize;
    fn len(&self) -> usize;
}

impl<F: Future> ErasedSet<F::Output> for FutureSet<F> {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        FutureSet::poll_next(self, cx, &mut Round::new()).map(|next| next.map(|(_, v)| v))
    }

    fn remaining(&self) -> usize {
        FutureSet::remaining(self)
    }

    fn len(&self) -> usize {
        FutureSet::len(self)
    }
}

impl<T> AsCompleted<T> {
    /// The next output to finish, or `None` once every future has finished.
    pub async fn next(&mut self) -> Option<T> {
        poll_fn(|cx| self.set.poll_next(cx)).await
    }

    /// How many futures have not yet produced their output.
    pub fn remaining(&self) -> usize {
        self.set.remaining()
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.set.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.set.remaining();
        (n, Some(n))
    }
}

impl<T> FusedStream for AsCompleted<T> {
    fn is_terminated(&self) -> bool {
        self.set.remaining() == 0
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("len", &self.set.len())
            .field("remaining", &self.set.remaining())
            .finish()
    }
}
