//! `GroupState`: what a task group's driver, its `TaskGroup` handles and its
//! children share (one `Rc`, loop thread only).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::task::Waker;

use crate::BoxError;
use crate::CancelHandle;

/// A panic payload, as `catch_unwind` returns it.
pub(crate) type Panic = Box<dyn Any + Send + 'static>;

#[derive(Default)]
pub(crate) struct GroupState {
    /// One entry per live child (its future not yet dropped), by key.
    children: RefCell<Children>,
    /// Child errors, in the order the children failed.
    errors: RefCell<Vec<BoxError>>,
    /// The first panic, of a child or of the body.
    panic: RefCell<Option<Panic>>,
    /// A child failed or panicked, the body failed, panicked, or the group
    /// was dropped: everything left is being cancelled.
    aborting: Cell<bool>,
    /// A child failed or panicked and the abort is queued for the next tick.
    abort_queued: Cell<bool>,
    /// `task_group` returned: spawning now is a bug.
    finished: Cell<bool>,
    /// The waker of the future `task_group` returned, while it waits.
    driver: Cell<Option<Waker>>,
}

#[derive(Default)]
struct Children {
    /// `None`: free, or reserved and not yet spawned.
    entries: Vec<Option<CancelHandle>>,
    free: Vec<usize>,
    live: usize,
}

impl GroupState {
    /// This group is being dropped before it finished (its `parent` aborted
    /// and dropped its body, say): the errors and panic it already collected
    /// would be lost with it, so they go to the parent group — the errors as
    /// one nested `ErrorGroup`, as if this group had raised it into the
    /// parent's body. Without a parent they are dropped with the group.
    #[cold]
    #[inline(never)]
    pub(crate) fn hand_up(&self, parent: &Weak<GroupState>) {
        let Some(parent) = parent.upgrade() else {
            return;
        };
        if let Some(panic) = self.take_panic() {
            let mut slot = parent.panic.borrow_mut();
            if slot.is_none() {
                *slot = Some(panic);
            }
        }
        let errors = self.take_errors();
        if !errors.is_empty() {
            parent
                .errors
                .borrow_mut()
                .push(Box::new(crate::ErrorGroup::new(errors)));
        }
    }

    pub(crate) fn is_aborting(&self) -> bool {
        self.aborting.get()
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished.get()
    }

    pub(crate) fn set_finished(&self) {
        self.finished.set(true);
    }

    /// How many children are alive (reserved, running, or being dropped).
    pub(crate) fn live(&self) -> usize {
        self.children.borrow().live
    }

    /// Reserves an entry for a child about to be spawned.
    pub(crate) fn reserve(&self) -> usize {
        let mut c = self.children.borrow_mut();
        c.live += 1;
        match c.free.pop() {
            Some(key) => key,
            None => {
                c.entries.push(None);
                c.entries.len() - 1
            }
        }
    }

    /// Records how to cancel the child spawned for `key`.
    pub(crate) fn attach(&self, key: usize, canceller: CancelHandle) {
        self.children.borrow_mut().entries[key] = Some(canceller);
    }

    /// The child of `key` is gone (its future was dropped).
    pub(crate) fn release(&self, key: usize) {
        let (last, canceller) = {
            let mut c = self.children.borrow_mut();
            let canceller = c.entries[key].take();
            c.free.push(key);
            c.live -= 1;
            (c.live == 0, canceller)
        };
        // Dropped outside the borrow: it may hold the last count of the cell.
        drop(canceller);
        if last {
            self.wake_driver();
        }
    }

    /// Requests cancellation of child `key` (a no-op if it is gone).
    pub(crate) fn cancel_child(&self, key: usize) {
        if let Some(Some(canceller)) = self.children.borrow().entries.get(key) {
            canceller.cancel();
        }
    }

    /// Requests cancellation of every live child.
    pub(crate) fn cancel_children(&self) {
        for canceller in self.children.borrow().entries.iter().flatten() {
            canceller.cancel();
        }
    }

    /// Starts aborting now; the driver, when it next runs, cancels the rest.
    pub(crate) fn abort(&self) {
        self.aborting.set(true);
    }

    /// Starts aborting on the next tick, and tells the driver then.
    ///
    /// Like asyncio, where a failed child's done-callback is queued with
    /// `call_soon`: whatever was already due in this tick — other children
    /// that fail too, the body returning its own error — still runs first.
    #[cold]
    #[inline(never)]
    fn abort_next_tick(self: &Rc<Self>) {
        if self.aborting.get() || self.abort_queued.replace(true) {
            return;
        }
        let state = self.clone();
        let _ = crate::call_soon(move || {
            state.abort();
            // Cancel the siblings here, not when the driver next runs: the
            // driver may be queued behind siblings already runnable, which
            // must not be polled again (a cancelled task is dropped, not
            // polled). Those queued before this callback still run first,
            // as in asyncio.
            state.cancel_children();
            state.wake_driver();
        });
    }

    /// A child failed: keep its error (completion order) and abort.
    #[cold]
    #[inline(never)]
    pub(crate) fn child_failed(self: &Rc<Self>, err: BoxError) {
        self.errors.borrow_mut().push(err);
        self.abort_next_tick();
    }

    /// The body panicked: keep the payload (unless a child's came first) and abort.
    pub(crate) fn panicked(&self, payload: Panic) {
        let mut panic = self.panic.borrow_mut();
        if panic.is_none() {
            *panic = Some(payload);
        }
        drop(panic);
        self.abort();
    }

    /// A child panicked: keep the payload (unless one came first) and abort.
    #[cold]
    #[inline(never)]
    pub(crate) fn child_panicked(self: &Rc<Self>, payload: Panic) {
        let mut panic = self.panic.borrow_mut();
        if panic.is_none() {
            *panic = Some(payload);
        }
        drop(panic);
        self.abort_next_tick();
    }

    pub(crate) fn take_panic(&self) -> Option<Panic> {
        self.panic.borrow_mut().take()
    }

    pub(crate) fn take_errors(&self) -> Vec<BoxError> {
        std::mem::take(&mut *self.errors.borrow_mut())
    }

    /// How many child errors so far.
    pub(crate) fn error_count(&self) -> usize {
        self.errors.borrow().len()
    }

    /// Remembers the driver's waker while it waits.
    pub(crate) fn set_driver(&self, waker: &Waker) {
        let w = match self.driver.take() {
            Some(w) if w.will_wake(waker) => w,
            _ => waker.clone(),
        };
        self.driver.set(Some(w));
    }

    fn wake_driver(&self) {
        if let Some(w) = self.driver.take() {
            w.wake();
        }
    }
}
