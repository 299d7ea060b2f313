//! A one-shot, thread-safe result slot: how a result computed elsewhere
//! (a `LoopHandle::spawn` task, a `to_thread` job) reaches whoever awaits
//! it, on any thread or executor.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::task::error::TaskError;

struct Slot<T> {
    result: Option<Result<T, TaskError>>,
    waker: Option<Waker>,
    taken: bool,
}

fn lock<T>(slot: &Mutex<Slot<T>>) -> MutexGuard<'_, Slot<T>> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// The writing end. Dropped without completing, it completes the slot as
/// cancelled.
pub(crate) struct Completer<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

/// The reading end.
pub(crate) struct Completion<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

pub(crate) fn completion<T>() -> (Completer<T>, Completion<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
        taken: false,
    }));
    (Completer { slot: slot.clone() }, Completion { slot })
}

impl<T> Completer<T> {
    /// True if the reading end is gone: nobody will see the result.
    pub(crate) fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.slot) == 1
    }

    /// Sets the result and wakes the reader; later calls do nothing. With
    /// the reader gone the result is dropped here, and a panic from its
    /// destructor is caught: this runs on worker threads, which must live on.
    pub(crate) fn complete(&self, result: Result<T, TaskError>) {
        if self.is_abandoned() {
            drop_caught(result);
            return;
        }
        fill(&self.slot, result);
    }
}

/// Stores `result` unless the slot already has one, and wakes the reader.
fn fill<T>(slot: &Mutex<Slot<T>>, result: Result<T, TaskError>) {
    let waker = {
        let mut slot = lock(slot);
        if slot.result.is_some() || slot.taken {
            drop(slot);
            drop_caught(result);
            return;
        }
        slot.result = Some(result);
        slot.waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

/// Drops a value whose destructor may panic, without letting the panic out.
pub(crate) fn drop_caught<V>(value: V) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        // A payload whose own destructor panics is leaked, not unwound.
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
        eprintln!("evloop: a result nobody awaited panicked while being dropped; the panic was discarded");
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        self.complete(Err(TaskError::cancelled()));
    }
}

impl<T> Completion<T> {
    /// Completes the slot from the reading side (the work was refused
    /// before it could start); does nothing if a result is already there.
    pub(crate) fn refuse(&self, why: &'static str) {
        fill(&self.slot, Err(TaskError::refused(why)));
    }

    pub(crate) fn is_finished(&self) -> bool {
        let slot = lock(&self.slot);
        slot.result.is_some() || slot.taken
    }

    pub(crate) fn poll(&self, cx: &mut Context<'_>, what: &str) -> Poll<Result<T, TaskError>> {
        let mut slot = lock(&self.slot);
        if let Some(result) = slot.result.take() {
            slot.taken = true;
            return Poll::Ready(result);
        }
        assert!(!slot.taken, "{what} polled again after it returned its output");
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
