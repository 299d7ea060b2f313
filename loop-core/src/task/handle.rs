//! `Task<T>`: the handle `spawn` returns.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::address::TaskAddress;
use super::error::TaskError;
use super::id::TaskId;
use super::raw::{OutputRef, TaskRef};

/// A spawned task (asyncio's `Task`). Await it for the task's result.
///
/// Dropping the handle *detaches* the task: it keeps running, owned by the
/// loop. To stop it, call [`cancel`](Task::cancel). One exception, as in
/// asyncio: a handle that was being awaited (polled, not finished) and is
/// dropped *as part of a cancellation* — the awaiting task was cancelled, a
/// `timeout` around it expired, a task group aborted, a `select!` branch
/// lost, a `try_gather` failed, the loop closed — cancels its task too
/// (see [`as_cancellation`](crate::as_cancellation)). [`shield`] and
/// [`Task::detached`] stop that.
///
/// [`shield`]: https://docs.rs/evloop/latest/evloop/fn.shield.html
///
/// ```
/// # use evloop_core as evloop;
/// evloop::run(async {
///     let task = evloop::spawn_named("adder", async { 1 + 1 });
///     assert_eq!(task.name(), "adder");
///     assert_eq!(task.await.unwrap(), 2);
/// });
/// ```
#[must_use = "dropping a Task detaches it; await it, cancel it, or drop it on purpose"]
pub struct Task<T> {
    output: OutputRef<T>,
}

impl<T> Task<T> {
    #[inline]
    pub(crate) fn new(output: OutputRef<T>) -> Task<T> {
        Task { output }
    }

    /// This handle, made never to pass a cancellation on: dropping it
    /// detaches the task even while the task awaiting it is being cancelled.
    /// `shield` is built on it.
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// use std::time::Duration;
    ///
    /// evloop::run(async {
    ///     let worker = evloop::spawn(evloop::sleep(Duration::from_millis(20)));
    ///     let watch = worker.cancel_handle();
    ///     let waiter = evloop::spawn(async move { worker.detached().await });
    ///     evloop::yield_now().await;
    ///     waiter.cancel(); // drops the detached handle: the worker goes on
    ///     evloop::sleep(Duration::from_millis(30)).await;
    ///     assert!(watch.is_finished() && !watch.cancel());
    /// });
    /// ```
    pub fn detached(self) -> Task<T> {
        self.output.task().mark_detached();
        self
    }

    /// Where the task lives.
    pub(crate) fn address(&self) -> TaskAddress {
        self.output.task().address()
    }

    /// Requests cancellation. Returns false if the task already finished.
    ///
    /// The future is dropped at the loop's next opportunity, before it is
    /// polled again; its destructors and `on_cancel` hooks run then. Only
    /// after that does awaiting the handle yield a cancelled [`TaskError`].
    /// A task cancelled before its first poll never runs.
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// use std::time::Duration;
    ///
    /// evloop::run(async {
    ///     let task = evloop::spawn(evloop::sleep(Duration::from_secs(3600)));
    ///     assert!(task.cancel());
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        cancel(self.output.task())
    }

    /// A second, reference-counted right to cancel this task, for code that
    /// must be able to cancel it after the `Task` itself was handed on (a
    /// task group gives the handle to its caller and keeps this).
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// evloop::run(async {
    ///     let task = evloop::spawn(std::future::pending::<()>());
    ///     let canceller = task.cancel_handle();
    ///     assert!(canceller.cancel());
    ///     assert!(task.await.unwrap_err().is_cancelled());
    ///     assert!(canceller.is_finished());
    /// });
    /// ```
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            task: self.output.task().clone(),
        }
    }

    /// True once the task has finished: returned, panicked, or been cancelled
    /// (its future dropped).
    pub fn is_finished(&self) -> bool {
        self.output.task().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.output.task().id()
    }

    /// The task's name (`Task-N` unless spawned with [`spawn_named`](crate::spawn_named)).
    pub fn name(&self) -> String {
        self.output.task().name()
    }
}

/// Requests cancellation: the scheduler drops the future at its next
/// opportunity. False if the task already finished.
fn cancel(task: &TaskRef) -> bool {
    if !task.request_cancel() {
        return false;
    }
    // Queue it like any wake: at once if its loop runs on this thread, else
    // through the loop's remote queue, drained when the loop runs.
    crate::context::wake(task.address());
    true
}

// A handle holds a pointer to the task's heap cell and nothing pinned: the
// output never lives in the handle. So it may move after being polled, for
// any `T`.
impl<T> Unpin for Task<T> {}

/// The right to cancel a task, separate from its [`Task`] handle; from
/// [`Task::cancel_handle`]. It keeps the task's cell alive, not the task:
/// dropping it changes nothing.
pub struct CancelHandle {
    task: TaskRef,
}

impl CancelHandle {
    /// Like [`Task::cancel`]: false if the task already finished.
    pub fn cancel(&self) -> bool {
        cancel(&self.task)
    }

    /// Cancels the task at `address` on the loop running on this thread, if
    /// it is still there (how a `RemoteTask` is cancelled from afar).
    pub(crate) fn cancel_at(address: TaskAddress) -> bool {
        let task = crate::context::try_with_core(|core| {
            (core.index() == address.loop_index)
                .then(|| core.tasks().get(address.slot, address.generation))
                .flatten()
        });
        task.flatten().is_some_and(|task| cancel(&task))
    }

    /// True once the task has finished.
    pub fn is_finished(&self) -> bool {
        self.task.is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.task.id()
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.output.poll_output(cx);
        if polled.is_pending() {
            check_same_loop(self.output.task());
            self.output.task().mark_awaited();
        }
        polled
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        // A handle being awaited, dropped by a cancellation: cancel inward.
        let task = self.output.task();
        if task.passes_cancellation_on() && crate::cancel::is_cancelling() {
            cancel(task);
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Awaiting a task of another loop that runs on this thread would hang:
/// only one loop runs at a time, so the task could never finish.
#[inline]
fn check_same_loop(task: &TaskRef) {
    let running = crate::context::try_with_core(|core| core.index());
    if running.is_some_and(|index| index != task.address().loop_index) {
        foreign_task(task);
    }
}

#[cold]
#[inline(never)]
fn foreign_task(task: &TaskRef) -> ! {
    panic!(
        "this evloop::Task ({}) belongs to a different event loop than the one awaiting it: \
         a task only runs on the loop that spawned it; await it there, or spawn the work on this loop",
        task.name()
    )
}
