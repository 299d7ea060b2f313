//! The main task: the future given to `block_on` (and so to `run`), run as
//! a task like any other, named `"main"` — as `asyncio.run` wraps its
//! coroutine in a task. `current_task()`, `all_tasks()`, the task dump and
//! slow-poll reports see it; the scheduler does not know it is special.
//!
//! # Protocol
//!
//! A task's future must be `'static`, but `block_on`'s future borrows from
//! its caller and lives on `block_on`'s stack. The task therefore holds a
//! [`Borrowed`]: a pointer to that pinned future, with its lifetime erased.
//! It is sound because:
//!
//! * the pointee is pinned on `block_on`'s stack, declared before the
//!   [`MainTask`] guard, so it outlives the guard and never moves;
//! * the guard's `Drop` — on the normal path and during unwinding alike —
//!   takes the task out of the slab and drops its `Borrowed` (which does
//!   not touch the pointee) before the pointee is dropped. After that no
//!   run-queue entry or waker can reach the task: its slot's generation
//!   moved on, and the cell is complete, so it is never polled again;
//! * the scheduler is the only code that polls through a `TaskRef`, and it
//!   reaches tasks only through the slab;
//! * `MainTask::start` is `unsafe` because leaking the guard
//!   (`mem::forget`) would break the second point; `block_on` never does.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::address::TaskAddress;
use super::error::TaskError;
use super::raw::{OutputRef, TaskRef};
use crate::core::Core;

/// The name of the main task.
pub(crate) const MAIN_TASK_NAME: &str = "main";

/// A pinned future owned by `block_on`'s stack frame (see the module doc).
pub(crate) struct Borrowed {
    future: NonNull<dyn Future<Output = ()>>,
}

impl Future for Borrowed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the pointee is alive and pinned for as long as the task can
        // be polled (module doc), and the task cell gives us exclusive access
        // while it polls (its RUNNING bit).
        unsafe { Pin::new_unchecked(&mut *self.future.as_ptr()) }.poll(cx)
    }
}

/// The running main task; dropping it ends the task (module doc).
pub(crate) struct MainTask<'a> {
    core: &'a Core,
    output: OutputRef<()>,
    address: Option<TaskAddress>,
}

impl<'a> MainTask<'a> {
    /// Spawns `future` as the main task of `core` and queues its first poll.
    ///
    /// # Safety
    /// `future` must stay alive (and pinned) until the returned guard is
    /// dropped, and the guard must not be leaked.
    pub(crate) unsafe fn start(
        core: &'a Core,
        future: Pin<&mut (dyn Future<Output = ()> + '_)>,
        spawned_at: &'static Location<'static>,
    ) -> MainTask<'a> {
        // SAFETY: the caller keeps the future pinned where it is.
        let pointer: *mut (dyn Future<Output = ()> + '_) = unsafe { future.get_unchecked_mut() };
        // SAFETY: only the lifetime changes (same fat-pointer layout); the
        // caller's promise stands in for it (module doc).
        let pointer: *mut (dyn Future<Output = ()> + 'static) = unsafe { std::mem::transmute(pointer) };
        let borrowed = Borrowed {
            // SAFETY: it came from a reference.
            future: unsafe { NonNull::new_unchecked(pointer) },
        };
        let (output, address) = core.spawn_main(borrowed, spawned_at);
        if let Some(m) = core.monitor() {
            m.main_task_started(output.task().id());
        }
        MainTask { core, output, address }
    }

    /// The task itself.
    #[inline]
    pub(crate) fn task(&self) -> &TaskRef {
        self.output.task()
    }

    /// True once the main future returned (or panicked).
    #[inline]
    pub(crate) fn is_finished(&self) -> bool {
        self.output.task().is_complete()
    }

    /// Ends the task and returns how the main future ended.
    pub(crate) fn finish(self) -> Result<(), TaskError> {
        let cx = &mut Context::from_waker(Waker::noop());
        match self.output.poll_output(cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(TaskError::cancelled()),
        }
    }
}

impl Drop for MainTask<'_> {
    fn drop(&mut self) {
        let task = self.output.task();
        if let Some(address) = self.address {
            self.core.end_task(address);
        }
        task.drop_future(TaskError::cancelled());
    }
}
