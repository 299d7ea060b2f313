//! Polling a `Task<T>` handle through `&mut`.
//!
//! `Task<T>` is `Unpin` only when `T` is: its one field is a pointer to the
//! task's heap cell plus a `PhantomData<T>`, and auto traits follow the
//! phantom. `wait` keeps handles in a `Vec` and `Shield` holds one by value,
//! and both need to poll them and then move them on, for any `T`.
//!
//! # Protocol
//!
//! Pinning a `Task<T>` pins nothing: the task's output lives in its heap
//! cell, never inline in the handle, and the handle's `poll` only reads the
//! cell through a shared reference. So a handle may be polled through
//! `Pin::new_unchecked` and moved afterwards. (`evloop-core` could say so with
//! `impl<T> Unpin for Task<T>`; this file then reduces to `Pin::new`.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Task, TaskError};

/// Polls a task handle in place.
#[inline]
pub(crate) fn poll_task<T>(task: &mut Task<T>, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
    // SAFETY: see the module doc: a `Task<T>` has no pinned state of its own,
    // so moving it after this poll breaks no pinning guarantee.
    unsafe { Pin::new_unchecked(task) }.poll(cx)
}
