//! `spawn`, `spawn_named`, `current_task`, `all_tasks`.

use std::fmt;
use std::future::Future;
use std::panic::Location;

use super::handle::Task;
use super::id::TaskId;
use super::raw::TaskRef;
use crate::context;

/// Spawns `fut` as a task on the running loop (asyncio's `create_task`).
///
/// The future need not be `Send`. Its body first runs on a later poll, not
/// inside `spawn`. The returned [`Task`] can be awaited, cancelled or
/// dropped (which detaches it).
///
/// ```
/// # use evloop_core as evloop;
/// use std::rc::Rc;
/// use std::cell::Cell;
///
/// evloop::run(async {
///     let hits = Rc::new(Cell::new(0)); // not Send, and that is fine
///     let h = hits.clone();
///     let task = evloop::spawn(async move { h.set(h.get() + 1) });
///     assert_eq!(hits.get(), 0, "the body has not run yet");
///     task.await.unwrap();
///     assert_eq!(hits.get(), 1);
/// });
/// ```
///
/// # Panics
/// Outside a running loop, with a message containing "no running event loop".
#[track_caller]
pub fn spawn<F: Future + 'static>(fut: F) -> Task<F::Output> {
    let at = Location::caller();
    context::with_core_taking("evloop::spawn", fut, |core, fut| core.spawn(fut, None, at))
}

/// Like [`spawn`], with a name for `Task::name`, `all_tasks` and the monitor.
///
/// # Panics
/// Outside a running loop, with a message containing "no running event loop".
#[track_caller]
pub fn spawn_named<F: Future + 'static>(name: impl Into<String>, fut: F) -> Task<F::Output> {
    let at = Location::caller();
    let name = name.into();
    context::with_core_taking("evloop::spawn_named", fut, |core, fut| core.spawn(fut, Some(name), at))
}

/// A snapshot of a task's identity.
#[derive(Clone, PartialEq, Eq)]
pub struct TaskInfo {
    id: TaskId,
    name: String,
    spawned_at: &'static Location<'static>,
}

impl TaskInfo {
    fn of(task: &TaskRef) -> TaskInfo {
        TaskInfo {
            id: task.id(),
            name: task.name(),
            spawned_at: task.spawned_at(),
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The task's name.
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// Where the task was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}

impl fmt::Debug for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskInfo")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("spawned_at", &format_args!("{}", self.spawned_at))
            .finish()
    }
}

/// The task being polled right now (asyncio's `current_task`). Inside the
/// future given to `run` or `block_on` that is the main task, named
/// `"main"`; `None` in a callback or with no loop running. O(1).
///
/// ```
/// # use evloop_core as evloop;
/// evloop::run(async {
///     assert_eq!(evloop::current_task().unwrap().name(), "main");
///     let name = evloop::spawn_named("me", async { evloop::current_task().unwrap().name() });
///     assert_eq!(name.await.unwrap(), "me");
/// });
/// assert!(evloop::current_task().is_none());
/// ```
pub fn current_task() -> Option<TaskInfo> {
    context::try_with_core(|core| core.tasks().current().map(|task| TaskInfo::of(&task))).flatten()
}

/// Every task of the running loop that has not finished, the current one
/// and the main task included, in slab order (asyncio's `all_tasks`).
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn all_tasks() -> Vec<TaskInfo> {
    context::with_core("evloop::all_tasks", |core| {
        core.tasks()
            .snapshot()
            .iter()
            .map(|(_, _, t)| TaskInfo::of(t))
            .collect()
    })
}
