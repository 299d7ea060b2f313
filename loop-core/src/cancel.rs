//! Cancellation: `on_cancel`, cleanup that runs when a future is dropped
//! before it completes — the Rust form of `except CancelledError: cleanup();
//! raise` — and `as_cancellation`, which marks a drop as a cancellation so
//! that it propagates into the tasks the dropped future was awaiting.

use std::future::Future;

struct Guard<C: FnOnce()> {
    cleanup: Option<C>,
}

impl<C: FnOnce()> Drop for Guard<C> {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            cleanup();
        }
    }
}

/// Runs `cleanup` if `fut` is dropped before it completes: when its task is
/// cancelled, when a `timeout` expires around it, when the loop closes.
/// If `fut` completes, `cleanup` is dropped without running.
///
/// ```
/// # use evloop_core as evloop;
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// evloop::run(async {
///     let cleaned = Rc::new(Cell::new(false));
///     let c = cleaned.clone();
///     let task = evloop::spawn(evloop::on_cancel(
///         evloop::sleep(Duration::from_secs(60)),
///         move || c.set(true),
///     ));
///     evloop::yield_now().await;
///     task.cancel();
///     assert!(task.await.unwrap_err().is_cancelled());
///     assert!(cleaned.get());
/// });
/// ```
pub fn on_cancel<F: Future>(fut: F, cleanup: impl FnOnce() + 'static) -> impl Future<Output = F::Output> {
    let guard = Guard { cleanup: Some(cleanup) };
    async move {
        let mut guard = guard;
        let output = fut.await;
        guard.cleanup = None;
        output
    }
}

thread_local! {
    /// How many cancellations are dropping futures on this thread right now.
    static CANCELLING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `f` — which drops futures — as a cancellation: a pending [`Task`]
/// handle (awaited at least once, not finished) dropped inside `f` cancels
/// its task, as asyncio cancels the future a cancelled task waits on. Any
/// other drop of a handle detaches the task.
///
/// The loop does this itself wherever a future is cancelled: a cancelled
/// task's future, the inner future of an expired `timeout` or
/// `timeout_scope`, a task group's body on abort, the losers of `select!`,
/// the rest of a failed `try_gather`, what the loop drops at close. A
/// combinator of your own that cancels futures wraps their drop in it.
///
/// [`Task`]: crate::Task
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// evloop::run(async {
///     let inner = evloop::spawn(evloop::sleep(Duration::from_secs(60)));
///     let canceller = inner.cancel_handle();
///     let mut waiting = Box::pin(inner);
///     // Await it once, then give up on it as a cancellation.
///     let _ = evloop::timeout(Duration::from_millis(1), waiting.as_mut()).await;
///     evloop::as_cancellation(|| drop(waiting));
///     evloop::yield_now().await;
///     assert!(canceller.is_finished(), "the awaited task was cancelled");
/// });
/// ```
pub fn as_cancellation<R>(f: impl FnOnce() -> R) -> R {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CANCELLING.with(|c| c.set(c.get() - 1));
        }
    }
    CANCELLING.with(|c| c.set(c.get() + 1));
    let _depth = Depth;
    f()
}

/// True while a cancellation drops futures on this thread.
#[inline]
pub(crate) fn is_cancelling() -> bool {
    CANCELLING.with(|c| c.get() > 0)
}
