//! `yield_now`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Lets every other ready task run once before this one continues
/// (asyncio's `await asyncio.sleep(0)`).
///
/// ```
/// # use evloop_core as evloop;
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// evloop::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let tasks: Vec<_> = ["a", "b"].into_iter().map(|name| {
///         let log = log.clone();
///         evloop::spawn(async move {
///             for i in 0..2 {
///                 log.borrow_mut().push(format!("{name}{i}"));
///                 evloop::yield_now().await;
///             }
///         })
///     }).collect();
///     for t in tasks { t.await.unwrap(); }
///     assert_eq!(*log.borrow(), ["a0", "b0", "a1", "b1"]);
/// });
/// ```
#[inline]
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "yield_now does nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
