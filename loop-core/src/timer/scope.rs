//! `timeout_scope`: asyncio's `async with asyncio.timeout_at(...) as cm`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Instant;

use super::sleep::{sleep_until, Sleep};
use super::timeout::Elapsed;

struct ScopeState {
    deadline: Cell<Option<Instant>>,
    expired: Cell<bool>,
    /// Bumped by `reschedule` so the scope re-arms its timer.
    version: Cell<u64>,
    waker: RefCell<Option<Waker>>,
    /// The `timeout_scope` returned: its deadline means nothing any more.
    finished: Cell<bool>,
}

/// The handle a [`timeout_scope`] body gets: read or move the deadline.
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let start = evloop::time();
///     let result = evloop::timeout_scope(Some(start + Duration::from_secs(1)), |scope| async move {
///         // Give ourselves more time, then finish within it.
///         scope.reschedule(Some(start + Duration::from_secs(10)));
///         evloop::sleep(Duration::from_secs(5)).await;
///         "done"
///     })
///     .await;
///     assert_eq!(result, Ok("done"));
/// });
/// ```
#[derive(Clone)]
pub struct TimeoutScope {
    state: Rc<ScopeState>,
}

impl TimeoutScope {
    /// Moves the deadline; `None` means never. Takes effect at once, even
    /// while the body is waiting.
    ///
    /// # Panics
    /// Once the scope has finished (its `timeout_scope` returned), as
    /// asyncio's `Timeout.reschedule` raises: there is nothing left to time.
    #[track_caller]
    pub fn reschedule(&self, deadline: Option<Instant>) {
        assert!(
            !self.state.finished.get(),
            "TimeoutScope::reschedule called after the scope finished: its timeout_scope has \
             returned, so there is no body left to time out"
        );
        self.state.deadline.set(deadline);
        self.state.version.set(self.state.version.get() + 1);
        if let Some(waker) = self.state.waker.borrow().as_ref() {
            waker.wake_by_ref();
        }
    }

    /// The current deadline, `None` for never.
    pub fn when(&self) -> Option<Instant> {
        self.state.deadline.get()
    }

    /// True once this scope's deadline passed and it cancelled its body.
    pub fn expired(&self) -> bool {
        self.state.expired.get()
    }
}

impl fmt::Debug for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutScope")
            .field("when", &self.when())
            .field("expired", &self.expired())
            .finish()
    }
}

/// Runs `body` with a deadline it can inspect and move
/// (asyncio's `asyncio.timeout_at` context manager).
///
/// When the deadline passes, the body is dropped (cancelled) and the result
/// is `Err(Elapsed)`; `scope.expired()` is then true. Scopes nest: only the
/// scope whose own deadline passed reports `Elapsed`.
pub async fn timeout_scope<T, Fut: Future<Output = T>>(
    deadline: Option<Instant>,
    body: impl FnOnce(TimeoutScope) -> Fut,
) -> Result<T, Elapsed> {
    let scope = TimeoutScope {
        state: Rc::new(ScopeState {
            deadline: Cell::new(deadline),
            expired: Cell::new(false),
            version: Cell::new(0),
            waker: RefCell::new(None),
            finished: Cell::new(false),
        }),
    };
    let mut body = pin!(Some(body(scope.clone())));
    let mut timer: Option<(u64, Sleep)> = None;
    let state = &scope.state;
    // Finished however this ends: returned, or dropped (cancelled).
    struct Finished<'a>(&'a ScopeState);
    impl Drop for Finished<'_> {
        fn drop(&mut self) {
            self.0.finished.set(true);
        }
    }
    let _finished = Finished(state);
    let result = poll_fn(|cx| {
        let running = body.as_mut().as_pin_mut().expect("polled after it finished");
        if let Poll::Ready(v) = running.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        {
            let mut waker = state.waker.borrow_mut();
            if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waker = Some(cx.waker().clone());
            }
        }
        let Some(deadline) = state.deadline.get() else {
            timer = None;
            return Poll::Pending;
        };
        let version = state.version.get();
        if timer.as_ref().is_none_or(|(v, _)| *v != version) {
            timer = Some((version, sleep_until(deadline)));
        }
        let (_, sleep) = timer.as_mut().expect("armed just above");
        match Pin::new(sleep).poll(cx) {
            Poll::Ready(()) => {
                state.expired.set(true);
                Poll::Ready(Err(Elapsed::new()))
            }
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    if result.is_err() {
        // The body is cancelled: what it awaited is too.
        crate::cancel::as_cancellation(|| body.set(None));
    }
    result
}
