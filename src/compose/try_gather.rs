//! `try_gather`: like `gather`, but the first error wins and cancels the rest.

use std::future::{poll_fn, Future};
use std::task::Poll;

use super::set::{FutureSet, Round};

/// Runs every future concurrently; returns all the `Ok` values in input
/// order, or the first `Err` as soon as it happens.
///
/// On the first error every other future is dropped — cancelled, its
/// destructors and `on_cancel` hooks run — before `try_gather` returns, so
/// nothing is left running behind your back. (asyncio's `gather` without
/// `return_exceptions` leaves the other awaitables running; this does not.)
/// Like [`gather`](crate::gather), the futures run in place, each with its
/// own waker.
///
/// ```
/// use std::time::Duration;
///
/// #[derive(Debug, PartialEq)]
/// struct Refused(u32);
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let ok = evloop::try_gather((1..=3).map(|n| async move { Ok::<_, Refused>(n * 2) })).await;
///     assert_eq!(ok, Ok(vec![2, 4, 6]));
///
///     let start = evloop::time();
///     let err = evloop::try_gather((1..=3).map(|n| async move {
///         evloop::sleep(Duration::from_secs(n as u64)).await;
///         if n == 1 { Err(Refused(n)) } else { Ok(n) }
///     }))
///     .await;
///     assert_eq!(err, Err(Refused(1)));
///     // Returned after 1 s: the 2 s and 3 s sleepers were dropped, not awaited.
///     assert_eq!(evloop::time() - start, Duration::from_secs(1));
/// });
/// ```
pub async fn try_gather<I, T, E>(futs: I) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>>,
{
    let mut set = FutureSet::new(futs);
    let mut out: Vec<Option<T>> = Vec::with_capacity(set.len());
    out.resize_with(set.len(), || None);
    let result = poll_fn(|cx| {
        let mut round = Round::new();
        loop {
            match set.poll_next(cx, &mut round) {
                Poll::Ready(Some((i, Ok(v)))) => out[i] = Some(v),
                Poll::Ready(Some((_, Err(e)))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    // Cancel the others now, before returning, not whenever this future is
    // dropped: a cancellation, so tasks they await are cancelled too.
    crate::as_cancellation(|| drop(set));
    result?;
    Ok(out
        .into_iter()
        .map(|v| v.expect("evloop: try_gather finished with a missing output"))
        .collect())
}
