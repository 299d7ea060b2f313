//! `on_cancel`: cleanup that runs when a future is dropped before it
//! completes — the Rust form of `except CancelledError: cleanup(); raise`.

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
