//! `RemoteTask`: the result of `LoopHandle::spawn`, awaitable anywhere,
//! cancellable and waitable from any thread.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::completion::{completion, Completion};
use super::{RemoteMsg, Shared};
use crate::task::error::TaskError;
use crate::task::{CancelHandle, TaskAddress};

/// A task spawned from another thread with [`LoopHandle::spawn`](crate::LoopHandle::spawn).
///
/// It is `Send` and can be awaited from any thread or executor, waited for
/// with [`wait`](Self::wait), or cancelled with [`cancel`](Self::cancel).
/// Dropping it detaches the task.
///
/// ```
/// # use evloop_core as evloop;
/// let lp = evloop::EventLoop::new().unwrap();
/// let handle = lp.handle();
/// let worker = std::thread::spawn(move || {
///     let answer = handle.spawn(async { 6 * 7 }).wait();
///     handle.stop();
///     answer
/// });
/// lp.run_forever();
/// assert_eq!(worker.join().unwrap().unwrap(), 42);
/// ```
pub struct RemoteTask<T> {
    inner: Completion<T>,
    control: Arc<Control>,
}

/// What `cancel` needs to reach the task, filled in on the loop thread.
struct Control {
    shared: Arc<Shared>,
    state: Mutex<ControlState>,
}

#[derive(Default)]
struct ControlState {
    /// `cancel` was called before the task was spawned: do not spawn it.
    cancelled: bool,
    /// Where the task lives once spawned.
    address: Option<TaskAddress>,
}

/// Builds the handle and the job to run on the loop thread, where `make`
/// builds the future and spawns it.
pub(crate) fn pair<M, F>(make: M, shared: Arc<Shared>) -> (RemoteTask<F::Output>, impl FnOnce() + Send + 'static)
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send,
{
    let (completer, inner) = completion();
    let control = Arc::new(Control {
        shared,
        state: Mutex::new(ControlState::default()),
    });
    let job_control = control.clone();
    let job = move || {
        if job_control.lock().cancelled {
            return completer.complete(Err(TaskError::cancelled()));
        }
        let fut = match catch_unwind(AssertUnwindSafe(make)) {
            Ok(fut) => fut,
            Err(panic) => return completer.complete(Err(TaskError::panic(panic))),
        };
        // Detached: the RemoteTask observes the result through the slot. If
        // the loop closes first, dropping the completer reports cancellation.
        let task = crate::spawn(async move {
            let mut fut = pin!(fut);
            let result = poll_fn(|cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(panic) => Poll::Ready(Err(TaskError::panic(panic))),
            })
            .await;
            completer.complete(result);
        });
        job_control.lock().address = Some(task.address());
    };
    (RemoteTask { inner, control }, job)
}

impl Control {
    fn lock(&self) -> std::sync::MutexGuard<'_, ControlState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T> RemoteTask<T> {
    pub(crate) fn refuse(&self, why: &'static str) {
        self.inner.refuse(why);
    }

    /// True once the task has finished (with a value or an error).
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// Requests cancellation from any thread; false if the task already
    /// finished. The task's future is dropped on the loop thread at the
    /// loop's next opportunity (a task not yet started never starts), and
    /// the handle then yields a cancelled `TaskError` — unless the task
    /// completed on the loop before the request got there.
    pub fn cancel(&self) -> bool {
        if self.is_finished() {
            return false;
        }
        let address = {
            let mut state = self.control.lock();
            state.cancelled = true;
            state.address
        };
        if let Some(address) = address {
            let cancel = move || {
                CancelHandle::cancel_at(address);
            };
            let _ = self
                .control
                .shared
                .send(RemoteMsg::Call(Box::new(cancel), std::panic::Location::caller()));
        }
        true
    }

    /// Blocks the calling thread until the task ends, and returns its
    /// result.
    ///
    /// # Panics
    /// On the thread that owns the task's loop, running or not: the loop
    /// could never run the task while its thread waits ("would deadlock").
    #[track_caller]
    pub fn wait(self) -> Result<T, TaskError> {
        self.check_thread("RemoteTask::wait");
        match self.wait_until(None) {
            Ok(result) => result,
            Err(_) => unreachable!("no deadline"),
        }
    }

    /// Like [`wait`](Self::wait), for at most `timeout`; the handle comes
    /// back if the task is still running then.
    ///
    /// # Panics
    /// On the thread that owns the task's loop ("would deadlock").
    #[track_caller]
    pub fn wait_timeout(self, timeout: Duration) -> Result<Result<T, TaskError>, RemoteTask<T>> {
        self.check_thread("RemoteTask::wait_timeout");
        let deadline = Instant::now().checked_add(timeout);
        self.wait_until(deadline)
    }

    #[track_caller]
    fn check_thread(&self, what: &str) {
        if std::thread::current().id() == self.control.shared.owner() {
            panic!(
                "{what} called on the thread that owns the task's event loop: it would deadlock, \
                 since the loop cannot run the task while its thread waits; await the RemoteTask instead"
            );
        }
    }

    fn wait_until(self, deadline: Option<Instant>) -> Result<Result<T, TaskError>, RemoteTask<T>> {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(result) = self.inner.poll(&mut cx, "RemoteTask") {
                return Ok(result);
            }
            match deadline {
                None => std::thread::park(),
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(self);
                    }
                    std::thread::park_timeout(left);
                }
            }
        }
    }
}

/// Wakes a thread blocked in `wait`.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl<T> Future for RemoteTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.poll(cx, "RemoteTask")
    }
}

impl<T> fmt::Debug for RemoteTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}
