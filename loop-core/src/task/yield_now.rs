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
        // Yielding from the task being polled, with its own waker (the
        // common case): the scheduler queues it again as it would on a wake,
        // without the wake's lookup: yield_many took 7% fewer instructions
        // (`benches/count_instructions.sh`) and 17% less CPU time. Anywhere
        // else (a callback, another executor's waker), a plain wake.
        let fast = crate::context::try_with_core(|core| core.yield_current(cx.waker()));
        if fast != Some(true) {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
