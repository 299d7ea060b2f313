//! Tasks: the subsystem that owns them (`tasks.rs`), the slab they live in,
//! their heap cell, their address and waker, the main task, and the public
//! handle.

pub(crate) mod address;
pub(crate) mod cell_cache;
pub(crate) mod error;
mod handle;
pub(crate) mod id;
pub(crate) mod main_task;
pub(crate) mod raw;
mod slab;
mod spawn;
mod tasks;
mod waker;
mod yield_now;

pub(crate) use address::TaskAddress;
pub use error::TaskError;
pub use handle::{CancelHandle, Task};
pub use id::TaskId;
pub use spawn::{all_tasks, current_task, spawn, spawn_named, TaskInfo};
pub(crate) use tasks::Tasks;
pub use yield_now::{yield_now, YieldNow};
