//! `gather`: run many futures concurrently, results in input order.

use std::future::{poll_fn, Future};
use std::task::Poll;

use super::set::{FutureSet, Round};

/// Runs every future concurrently and returns their outputs in input order
/// (asyncio's `gather`).
///
/// The futures are polled in place, inside the future `gather` returns — no
/// task is spawned, so they may borrow from the caller and need not be
/// `'static`. Each has a waker of its own, so a wake polls that one future
/// only: gathering 100,000 futures costs O(100,000) polls, not O(n²).
///
/// With `Result` outputs this is `gather(..., return_exceptions=True)`: every
/// future runs to the end and each result, `Ok` or `Err`, lands in its place.
/// To stop at the first error instead, use [`try_gather`](crate::try_gather).
/// Dropping the `gather` future drops (cancels) every future still running.
///
/// ```
/// use std::time::Duration;
///
/// async fn fetch(name: &str, secs: u64) -> String {
///     evloop::sleep(Duration::from_secs(secs)).await;
///     format!("{name} done")
/// }
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let start = evloop::time();
///     let out = evloop::gather([fetch("a", 3), fetch("b", 1), fetch("c", 2)]).await;
///     assert_eq!(out, ["a done", "b done", "c done"]); // input order
///     assert_eq!(evloop::time() - start, Duration::from_secs(3)); // concurrently
///
///     // return_exceptions=True: errors are results like any other.
///     let results = evloop::gather((1..=3).map(|n| async move {
///         if n == 2 { Err(format!("task {n} failed")) } else { Ok(n * 10) }
///     }))
///     .await;
///     assert_eq!(results, [Ok(10), Err("task 2 failed".to_string()), Ok(30)]);
/// });
/// ```
pub async fn gather<I>(futs: I) -> Vec<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future,
{
    let mut set = FutureSet::new(futs);
    let mut out: Vec<Option<<I::Item as Future>::Output>> = Vec::with_capacity(set.len());
    out.resize_with(set.len(), || None);
    poll_fn(|cx| {
        let mut round = Round::new();
        loop {
            match set.poll_next(cx, &mut round) {
                Poll::Ready(Some((i, v))) => out[i] = Some(v),
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    out.into_iter()
        .map(|v| v.expect("evloop: gather finished with a missing output"))
        .collect()
}
