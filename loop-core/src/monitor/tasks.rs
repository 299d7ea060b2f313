//! `tasks()`: the live tasks as values, the structured form of
//! `dump_tasks`.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::context;
use crate::task::TaskId;

/// Where a task is in its life, as [`tasks`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Being polled now: the task whose poll called [`tasks`].
    Running,
    /// Queued to be polled (woken, or cancelled and waiting to be dropped).
    Ready,
    /// Waiting for a wake.
    Waiting,
}

impl TaskState {
    /// `"running"`, `"ready"` or `"waiting"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Running => "running",
            TaskState::Ready => "ready",
            TaskState::Waiting => "waiting",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One live task at the moment [`tasks`] was called.
#[derive(Clone, Debug)]
pub struct TaskSnapshot {
    id: TaskId,
    name: String,
    state: TaskState,
    polls: u64,
    busy: Option<Duration>,
    spawned_at: &'static Location<'static>,
    age: Option<Duration>,
}

impl TaskSnapshot {
    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Its name (`Task-N` when none was given, `"main"` for the main task).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Running, ready or waiting.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// How many times it was polled.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Time spent in its polls: only when polls are timed precisely
    /// (`Builder::measure(true)` or a trace file), `None` otherwise.
    pub fn busy(&self) -> Option<Duration> {
        self.busy
    }

    /// Where it was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// How long ago it was spawned, to the millisecond. Known when the loop
    /// has any monitoring option on (a slow-poll or stall threshold,
    /// `measure`, a trace file, `EVLOOP_DEBUG=1`) since each spawn then
    /// notes the time; without one, spawning reads no clock and this is
    /// zero.
    pub fn age(&self) -> Duration {
        self.age.unwrap_or(Duration::ZERO)
    }

    /// Whether [`age`](TaskSnapshot::age) was measured.
    pub(crate) fn age_known(&self) -> bool {
        self.age.is_some()
    }
}

/// The running loop's live tasks, the main task included, in slab order.
///
/// ```
/// # use evloop_core as evloop;
/// use evloop::monitor::TaskState;
///
/// evloop::run(async {
///     let sleeper = evloop::spawn_named("sleeper", evloop::sleep(std::time::Duration::from_secs(60)));
///     evloop::yield_now().await;
///     let tasks = evloop::monitor::tasks();
///     let s = tasks.iter().find(|t| t.name() == "sleeper").unwrap();
///     assert_eq!(s.state(), TaskState::Waiting);
///     assert_eq!(s.polls(), 1);
///     let main = tasks.iter().find(|t| t.name() == "main").unwrap();
///     assert_eq!(main.state(), TaskState::Running);
///     sleeper.cancel();
/// });
/// ```
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn tasks() -> Vec<TaskSnapshot> {
    context::with_core("evloop::monitor::tasks", |core| {
        let monitor = core.monitor();
        let ticks = monitor.and_then(|m| m.ticks());
        let current = core.tasks().current_slot();
        core.tasks()
            .snapshot()
            .into_iter()
            .map(|(slot, generation, task)| TaskSnapshot {
                id: task.id(),
                name: task.name(),
                state: if current == Some((slot, generation)) {
                    TaskState::Running
                } else if task.is_scheduled() {
                    TaskState::Ready
                } else {
                    TaskState::Waiting
                },
                polls: u64::from(task.polls()),
                busy: ticks.map(|t| t.to_duration(task.busy_ticks())),
                spawned_at: task.spawned_at(),
                age: monitor.and_then(|m| m.age(&task)),
            })
            .collect()
    })
}
