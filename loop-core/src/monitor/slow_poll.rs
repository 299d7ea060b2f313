//! Slow-poll reports (asyncio's `slow_callback_duration`), and what was
//! being run: a task, the main task or a callback.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::task::TaskId;

/// What a slow poll (or a stall) was running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PollKind {
    /// A poll of a spawned task.
    Task,
    /// A poll of the main task: the future given to `run` / `block_on`.
    Main,
    /// A `call_soon`, `call_later` or `call_soon_threadsafe` callback.
    Callback,
}

/// A poll that took longer than the loop's slow-poll threshold; given to the
/// callback set with `Builder::on_slow_poll`.
///
/// Polls of spawned tasks, of the main task and runs of callbacks are all
/// timed, as asyncio's debug mode times every callback:
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
/// use evloop::monitor::PollKind;
///
/// let kinds = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// let seen = kinds.clone();
/// let lp = evloop::EventLoop::builder()
///     .slow_poll_threshold(Duration::from_millis(5))
///     .on_slow_poll(move |slow| seen.borrow_mut().push((slow.kind(), slow.task_name().to_string())))
///     .build()
///     .unwrap();
/// lp.block_on(async {
///     evloop::call_soon(|| std::thread::sleep(Duration::from_millis(20)));
///     std::thread::sleep(Duration::from_millis(20)); // blocks the main task's poll
///     evloop::yield_now().await;
/// });
/// let kinds = kinds.borrow();
/// assert!(kinds.contains(&(PollKind::Main, "main".to_string())));
/// assert!(kinds.contains(&(PollKind::Callback, "callback".to_string())));
/// ```
#[derive(Clone, Debug)]
pub struct SlowPoll {
    pub(crate) kind: PollKind,
    pub(crate) task_id: Option<TaskId>,
    pub(crate) task_name: String,
    pub(crate) duration: Duration,
    pub(crate) spawned_at: &'static Location<'static>,
}

/// The name a callback is reported under.
pub(crate) const CALLBACK_NAME: &str = "callback";

impl SlowPoll {
    /// What was run: a task, the main task or a callback.
    pub fn kind(&self) -> PollKind {
        self.kind
    }

    /// The task that was polled; `None` for a callback.
    pub fn task_id(&self) -> Option<TaskId> {
        self.task_id
    }

    /// Its name: the task's name, `"main"`, or `"callback"`.
    pub fn task_name(&self) -> &str {
        &self.task_name
    }

    /// How long the poll took: how long the loop could do nothing else.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Where the task was spawned (for the main task, where `run` or
    /// `block_on` was called; for a callback, where `call_soon`,
    /// `call_later`, `call_at` or `call_soon_threadsafe` was called).
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let took = self.duration.as_secs_f64();
        let at = self.spawned_at;
        match self.kind {
            PollKind::Callback => write!(f, "Executing a callback (scheduled at {at}) took {took:.3} s"),
            _ => write!(
                f,
                "Executing task '{}' (spawned at {at}) took {took:.3} s",
                self.task_name
            ),
        }
    }
}
