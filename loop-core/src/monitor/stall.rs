//! `Stall`: a poll that is blocking the loop right now, as the watchdog
//! reports it.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::task::TaskId;

/// A poll (of a task, of the main task, or a callback) that has been
/// running for longer than the loop's stall threshold, reported by the
/// watchdog thread *while it is still running*; given to the callback set
/// with `Builder::on_stall`, once per stall.
///
/// ```no_run
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder()
///     .stall_threshold(Duration::from_millis(200))
///     .on_stall(|stall| eprintln!("{stall}"))
///     .build()
///     .unwrap();
/// lp.block_on(async {
///     std::thread::sleep(Duration::from_millis(500)); // reported after 200 ms
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Stall {
    pub(crate) task_id: Option<TaskId>,
    pub(crate) task_name: String,
    pub(crate) spawned_at: Option<&'static Location<'static>>,
    pub(crate) elapsed: Duration,
    pub(crate) backtrace: Option<String>,
}

impl Stall {
    /// The task being polled; `None` for a callback, or if the loop thread
    /// could not be asked (see [`backtrace`](Stall::backtrace)).
    pub fn task_id(&self) -> Option<TaskId> {
        self.task_id
    }

    /// `"main"`, the task's name, `"callback"`, or `"unknown"` if the loop
    /// thread could not be asked.
    pub fn task_name(&self) -> &str {
        &self.task_name
    }

    /// Where the task was spawned (or the callback scheduled).
    pub fn spawned_at(&self) -> Option<&'static Location<'static>> {
        self.spawned_at
    }

    /// How long the poll had been running when the watchdog reported it
    /// (at least this long: the watchdog looks a few times per threshold).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The loop thread's stack at the moment of the report, innermost frame
    /// first, with function names and `file:line` where debug information
    /// is available. Only on Linux with glibc; `None` elsewhere, or if
    /// another `SIGURG` handler is installed (the watchdog asks the loop
    /// thread for its stack with that signal).
    pub fn backtrace(&self) -> Option<&str> {
        self.backtrace.as_deref()
    }
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the loop is stalled: '{}' has been running for {:.3} s",
            self.task_name,
            self.elapsed.as_secs_f64()
        )?;
        if let Some(at) = self.spawned_at {
            let verb = if self.task_id.is_some() { "spawned" } else { "scheduled" };
            write!(f, " ({verb} at {at})")?;
        }
        if let Some(trace) = &self.backtrace {
            write!(f, "; the loop thread's stack:\n{trace}")?;
        }
        Ok(())
    }
}
