//! `Notice`: a one-shot, cross-thread "stop now" for a shard's loop.
//!
//! The coordinating thread fires it through the shard's
//! `LoopHandle::call_soon_threadsafe`, so [`Notice::fire`] runs on the
//! shard's own thread and wakes the future waiting in [`Notice::wait`]
//! there with an ordinary local wake. The flag and the waker slot are
//! still thread-safe (an `Arc` is shared with the coordinator), but only
//! the shard's thread touches them.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::LoopHandle;

/// Fired once; remembers it.
#[derive(Debug, Default)]
pub(super) struct Notice {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Notice {
    pub(super) fn new() -> Arc<Notice> {
        Arc::default()
    }

    /// Fires `notice` on the loop of `handle` (a later tick of that loop).
    /// If that loop has closed, nothing is left to tell.
    pub(super) fn fire_on(notice: &Arc<Notice>, handle: &LoopHandle) {
        let notice = notice.clone();
        let _ = handle.call_soon_threadsafe(move || notice.fire());
    }

    fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        let waker = self.waker.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *slot {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            other => *other = Some(cx.waker().clone()),
        }
        drop(slot);
        // A fire between the first check and storing the waker took no waker.
        if self.fired.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Waits until the notice is fired.
    pub(super) async fn wait(&self) {
        poll_fn(|cx| self.poll_fired(cx)).await;
    }

    /// Runs `fut` until it completes (`Some(output)`) or the notice is
    /// fired (`None`; `fut` is dropped when this future is).
    pub(super) async fn race<F: Future>(&self, fut: F) -> Option<F::Output> {
        let mut fut = pin!(fut);
        poll_fn(|cx| {
            if self.poll_fired(cx).is_ready() {
                return Poll::Ready(None);
            }
            fut.as_mut().poll(cx).map(Some)
        })
        .await
    }
}
