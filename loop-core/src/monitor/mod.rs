//! Seeing inside the loop while it runs.
//!
//! * **Counters**, always on and free: [`stats`] (plain integers bumped on
//!   the paths they count).
//! * **Slow-poll detection** (`Builder::slow_poll_threshold`, or
//!   `EVLOOP_DEBUG=1` in the environment, like `PYTHONASYNCIODEBUG`): every
//!   poll is timed against a millisecond clock kept by a ticker thread (one
//!   relaxed atomic load per poll), and a poll longer than the threshold is
//!   reported with the task's name and where it was spawned. Timer lateness
//!   and loop lag are summarised in [`stats`].
//! * **Measuring** (`Builder::measure(true)` or `Builder::trace_file`): every
//!   poll is timed precisely (one CPU-counter read per poll), adding
//!   fixed-memory histograms of poll time and schedule latency (wake to
//!   poll), per-task busy time, and the trace.
//! * [`lag_monitor`], [`dump_tasks`], and a Chrome trace (`trace_file`) that
//!   Perfetto opens.

mod beacon;
mod capture;
pub(crate) mod coarse_clock;
mod dump;
mod flush;
pub(crate) mod histogram;
mod lag;
pub(crate) mod recorder;
mod slow_poll;
mod stall;
pub(crate) mod stamp;
pub(crate) mod stats;
mod symbols;
mod tasks;
mod trace;
mod watchdog;

pub use dump::dump_tasks;
pub use flush::flush_trace;
pub use histogram::Summary;
pub use lag::lag_monitor;
pub use slow_poll::{PollKind, SlowPoll};
pub use stall::Stall;
pub use stats::{stats, LoopStats};
pub use tasks::{tasks, TaskSnapshot, TaskState};
