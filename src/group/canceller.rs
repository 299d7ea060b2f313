//! `Canceller`: the right to cancel a child task whose `Task<T>` handle
//! went to the caller of `TaskGroup::spawn`.
//!
//! A task group must cancel its children (on the first failure, on a panic,
//! when it is dropped), and cancellation has to go through the task itself —
//! that is what makes a cancelled child's handle yield a cancelled
//! `TaskError` and what drops its future at the loop's next opportunity.
//! But `evloop-core` gives out exactly one handle per task, `Task<T>`, which
//! is not `Clone`, and `TaskGroup::spawn` must return it.
//!
//! # Protocol
//!
//! A `Canceller` is a bitwise copy of that handle, type-erased to its one
//! pointer, plus a function monomorphised for `T` that turns the pointer
//! back into a `Task<T>` (inside `ManuallyDrop`) and calls `Task::cancel`.
//!
//! * The copy **owns no reference count**: it is never dropped as a
//!   `Task<T>`, so the cell's count stays what `evloop-core` thinks it is.
//! * It is **used only while the child's future is alive**. A live future
//!   means a live task, which the loop's task slab keeps a count of, so the
//!   cell the pointer names is allocated. The group enforces this: the
//!   canceller sits in the child's entry of the group state, and the child's
//!   future removes that entry when it is dropped (`child.rs`), before the
//!   cell can be freed; nothing else keeps a copy.
//! * `Task::cancel` reads the cell's header through a shared reference and
//!   queues the task on the loop — it runs no user code and does not re-enter
//!   the group.
//! * The layout assumption — `Task<T>` is exactly one pointer, the same for
//!   every `T` — is checked at compile time for each `T` used.
//!
//! This is a stand-in for a `Task::cancel_handle()` (a second,
//! reference-counted right to cancel) that `evloop-core` does not offer yet;
//! with it, this file holds no `unsafe`.

use std::mem::{size_of, ManuallyDrop};

use crate::Task;

/// Cancels one child task; see the module doc for when it may be used.
pub(crate) struct Canceller {
    raw: *const (),
    cancel: unsafe fn(*const ()) -> bool,
}

impl Canceller {
    /// The canceller for `task`.
    ///
    /// # Safety
    /// [`cancel`](Self::cancel) may only be called while `task`'s future has
    /// not been dropped (the task is still in its loop's slab).
    pub(crate) unsafe fn new<T>(task: &Task<T>) -> Canceller {
        const {
            assert!(size_of::<Task<T>>() == size_of::<*const ()>());
        }
        Canceller {
            // SAFETY: `Task<T>` is one pointer wide (checked above) and its
            // bits are a valid pointer value; reading them as a raw pointer
            // copies the pointer without touching the count.
            raw: unsafe { std::mem::transmute_copy::<Task<T>, *const ()>(task) },
            cancel: cancel_task::<T>,
        }
    }

    /// Requests cancellation of the task; false if it already finished.
    ///
    /// # Safety
    /// The task's future must not have been dropped yet (see [`new`](Self::new)).
    pub(crate) unsafe fn cancel(&self) -> bool {
        // SAFETY: `cancel` was built for this pointer's `T`; liveness is the
        // caller's promise.
        unsafe { (self.cancel)(self.raw) }
    }
}

/// # Safety
/// `raw` came from a `Task<T>` (same `T`) whose task is still alive.
unsafe fn cancel_task<T>(raw: *const ()) -> bool {
    // SAFETY: the bits are those of a `Task<T>` handle (see `Canceller::new`),
    // the cell is alive (caller), and `ManuallyDrop` keeps this copy from
    // giving back a count it does not own.
    let task = ManuallyDrop::new(unsafe { std::mem::transmute_copy::<*const (), Task<T>>(&raw) });
    task.cancel()
}
