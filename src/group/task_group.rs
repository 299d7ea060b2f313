//! `task_group` and `TaskGroup`: asyncio's `TaskGroup`.

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::task::Poll;

use super::child::{Child, Release};
use super::error_group::ErrorGroup;
use super::nesting::BodyPoll;
use super::state::GroupState;
use crate::{BoxError, Task};

/// Runs `body` with a [`TaskGroup`] to spawn children into, and waits for
/// every child before returning (asyncio's `async with TaskGroup() as tg`).
///
/// * All children succeed and the body returns `Ok(r)`: `Ok(r)`.
/// * A child fails (returns `Err`): every other child is cancelled, and so is
///   the body (dropped where it is waiting). Once they have all finished,
///   the result is `Err(ErrorGroup)` holding every child error in the order
///   the children failed, then the body's error, if it returned one, last.
///   Children that failed in the same tick as the first are all reported.
/// * The body returns `Err`: the children are cancelled as above.
/// * Cancelled children add no error: not those the group cancels, not those
///   you cancel through their handle.
/// * A child or the body panics: everything else is cancelled, and when all
///   of it has finished the panic resumes out of `task_group`, unwrapped.
///
/// Children may spawn more children through a clone of the group, even
/// after the body has returned; the group waits for those too. Dropping the
/// `task_group` future (an outer timeout, a cancelled task) cancels the body
/// and every child.
///
/// ```
/// use std::time::Duration;
/// use evloop::BoxError;
///
/// async fn fetch(name: &str, secs: u64) -> Result<String, BoxError> {
///     evloop::sleep(Duration::from_secs(secs)).await;
///     Ok(format!("{name}: data"))
/// }
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let (t1, t2) = evloop::task_group(|tg| async move {
///         let t1 = tg.spawn(fetch("API 1", 2));
///         let t2 = tg.spawn(fetch("API 2", 1));
///         Ok::<_, BoxError>((t1, t2))
///     })
///     .await
///     .unwrap();
///     // All children completed here.
///     assert!(t1.is_finished() && t2.is_finished());
///     assert_eq!(t1.await.unwrap(), "API 1: data");
///
///     let err = evloop::task_group(|tg| async move {
///         tg.start_soon(async { evloop::sleep(Duration::from_secs(3600)).await; Ok::<_, BoxError>(()) });
///         tg.start_soon(async { Err::<(), _>("boom") });
///         Ok::<_, BoxError>(())
///     })
///     .await
///     .unwrap_err();
///     assert_eq!(err.to_string(), "1 error in task group:\n  - boom");
/// });
/// ```
pub async fn task_group<R, E, Fut>(body: impl FnOnce(TaskGroup) -> Fut) -> Result<R, ErrorGroup>
where
    Fut: Future<Output = Result<R, E>>,
    E: Into<BoxError>,
{
    let state = Rc::new(GroupState::default());
    let mut driver = Driver {
        state: state.clone(),
        parent: super::nesting::polling_body(),
        done: false,
    };
    let mut body = pin!(Some(body(TaskGroup { state: state.clone() })));
    let mut value = None;
    let mut body_error: Option<BoxError> = None;
    let mut children_cancelled = false;
    poll_fn(|cx| {
        if state.is_aborting() {
            // Cancel the body where it waits.
            if body.is_some() {
                let cancel_body = || crate::as_cancellation(|| body.set(None));
                if let Err(panic) = catch_unwind(AssertUnwindSafe(cancel_body)) {
                    state.panicked(panic);
                }
            }
        } else if let Some(fut) = body.as_mut().as_pin_mut() {
            let polling = BodyPoll::enter(&state);
            let polled = catch_unwind(AssertUnwindSafe(|| fut.poll(cx)));
            drop(polling);
            match polled {
                Ok(Poll::Pending) => {}
                Ok(Poll::Ready(result)) => {
                    body.set(None);
                    match result {
                        Ok(v) => value = Some(v),
                        Err(e) => {
                            body_error = Some(e.into());
                            state.abort();
                        }
                    }
                }
                Err(panic) => {
                    state.panicked(panic);
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| body.set(None))) {
                        drop(panic); // the first panic wins
                    }
                }
            }
        }
        if state.is_aborting() && !children_cancelled {
            children_cancelled = true;
            state.cancel_children();
        }
        if body.is_none() && state.live() == 0 {
            Poll::Ready(())
        } else {
            state.set_driver(cx.waker());
            Poll::Pending
        }
    })
    .await;
    driver.done = true;
    state.set_finished();
    if let Some(panic) = state.take_panic() {
        resume_unwind(panic);
    }
    let mut errors = state.take_errors();
    errors.extend(body_error);
    match value {
        Some(v) if errors.is_empty() => Ok(v),
        _ => Err(ErrorGroup::new(errors)),
    }
}

/// Cancels everything if the `task_group` future is dropped before it ends,
/// and hands what the group collected to `parent`.
struct Driver {
    state: Rc<GroupState>,
    /// The group whose body this group runs in, if any (see `nesting.rs`).
    parent: Weak<GroupState>,
    done: bool,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.done {
            self.state.abort();
            self.state.cancel_children();
            self.state.hand_up(&self.parent);
        }
    }
}

/// The handle [`task_group`] gives its body, to spawn children with
/// (asyncio's `TaskGroup`). Clone it freely — into children too, which may
/// spawn siblings.
#[derive(Clone)]
pub struct TaskGroup {
    state: Rc<GroupState>,
}

impl TaskGroup {
    /// Spawns `fut` as a child of the group (asyncio's `tg.create_task`).
    ///
    /// The handle yields `Ok(value)` if the child succeeds. If it fails, its
    /// error goes to the group (which then cancels the rest) and the handle
    /// yields a cancelled [`TaskError`](crate::TaskError); if the group
    /// cancels it, likewise. Spawning while the group is shutting down (after
    /// a failure) gives a task that is cancelled before it ever runs.
    ///
    /// Dropping the handle does not detach the child from the group; if you
    /// do not need it, [`start_soon`](Self::start_soon) says so without a
    /// `must_use` warning.
    ///
    /// ```
    /// use evloop::BoxError;
    ///
    /// evloop::run(async {
    ///     let out = evloop::task_group(|tg| async move {
    ///         let t = tg.spawn(async { Ok::<_, BoxError>(6 * 7) });
    ///         Ok::<_, BoxError>(t.await.unwrap())
    ///     })
    ///     .await;
    ///     assert_eq!(out.unwrap(), 42);
    /// });
    /// ```
    ///
    /// # Panics
    /// If the group has finished (its `task_group` returned), with a message
    /// containing "finished"; outside a running loop.
    #[track_caller]
    pub fn spawn<T, E, F>(&self, fut: F) -> Task<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        E: Into<BoxError>,
    {
        self.spawn_inner(None, fut)
    }

    /// Spawns `fut` as a child without returning its handle (trio's and
    /// anyio's `start_soon`; asyncio's `tg.create_task(coro)` with the task
    /// unused). The group still owns the child: it waits for it, collects its
    /// error and cancels it like any other.
    ///
    /// `Task` is `#[must_use]` — a handle dropped by accident usually means a
    /// task nobody watches — but a group child always has a watcher, so this
    /// is the quiet way to say you don't need the handle.
    ///
    /// ```
    /// use evloop::BoxError;
    ///
    /// evloop::run(async {
    ///     let hits = std::rc::Rc::new(std::cell::Cell::new(0));
    ///     let h = hits.clone();
    ///     evloop::task_group(|tg| async move {
    ///         for _ in 0..100 {
    ///             let h = h.clone();
    ///             tg.start_soon(async move {
    ///                 h.set(h.get() + 1);
    ///                 Ok::<_, BoxError>(())
    ///             });
    ///         }
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .await
    ///     .unwrap();
    ///     assert_eq!(hits.get(), 100);
    /// });
    /// ```
    ///
    /// # Panics
    /// As [`spawn`](Self::spawn).
    #[track_caller]
    pub fn start_soon<T, E, F>(&self, fut: F)
    where
        F: Future<Output = Result<T, E>> + 'static,
        E: Into<BoxError>,
    {
        drop(self.spawn_inner(None, fut));
    }

    /// Like [`spawn`](Self::spawn), with a name for the child task.
    ///
    /// # Panics
    /// As [`spawn`](Self::spawn).
    #[track_caller]
    pub fn spawn_named<T, E, F>(&self, name: impl Into<String>, fut: F) -> Task<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        E: Into<BoxError>,
    {
        self.spawn_inner(Some(name.into()), fut)
    }

    #[track_caller]
    fn spawn_inner<T, E, F>(&self, name: Option<String>, fut: F) -> Task<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        E: Into<BoxError>,
    {
        if self.state.is_finished() {
            finished();
        }
        let key = self.state.reserve();
        let fut = Child::new(
            Release {
                state: self.state.clone(),
                key,
            },
            fut,
        );
        let task = match name {
            Some(name) => crate::spawn_named(name, fut),
            None => crate::spawn(fut),
        };
        if self.state.is_aborting() {
            // Shutting down: the child never runs (asyncio refuses it outright).
            task.cancel();
        } else {
            self.state.attach(key, task.cancel_handle());
        }
        task
    }

    /// True while the group is running normally: no child has failed or
    /// panicked, the body has not failed, and the group has not finished.
    pub fn is_running(&self) -> bool {
        !self.state.is_aborting() && !self.state.is_finished()
    }
}

#[cold]
#[track_caller]
fn finished() -> ! {
    panic!(
        "TaskGroup::spawn called after the task group finished: task_group has returned, so the \
         group can take no more children (spawn them before the body returns, or from a child)"
    )
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("children", &self.state.live())
            .field("errors", &self.state.error_count())
            .field("aborting", &self.state.is_aborting())
            .field("finished", &self.state.is_finished())
            .finish()
    }
}
