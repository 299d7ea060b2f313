//! Slow-poll reports (asyncio's `slow_callback_duration`).

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::task::TaskId;

/// A poll that took longer than the loop's slow-poll threshold; given to the
/// callback set with `Builder::on_slow_poll`.
#[derive(Clone, Debug)]
pub struct SlowPoll {
    pub(crate) task_id: TaskId,
    pub(crate) task_name: String,
    pub(crate) duration: Duration,
    pub(crate) spawned_at: &'static Location<'static>,
}

impl SlowPoll {
    /// The task that was polled.
    pub fn task_id(&self) -> TaskId {
        self.task_id
    }

    /// Its name.
    pub fn task_name(&self) -> &str {
        &self.task_name
    }

    /// How long the poll took: how long the loop could do nothing else.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Where the task was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Executing task '{}' (spawned at {}) took {:.3} s",
            self.task_name,
            self.spawned_at,
            self.duration.as_secs_f64()
        )
    }
}
