//! Yielding on any executor.

use std::future::{poll_fn, Future};
use std::task::Poll;

/// Yields to the executor `n` times: each yield is pending once and wakes
/// itself, as `evloop::yield_now` does, so it works on an evloop loop and on
/// [`Sim`](crate::Sim) alike.
pub async fn yields(n: usize) {
    for _ in 0..n {
        yield_once().await;
    }
}

fn yield_once() -> impl Future<Output = ()> {
    let mut yielded = false;
    poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}
