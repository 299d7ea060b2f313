//! Tasks: the slab they live in, their heap cell, their waker, and the
//! public handle.

pub(crate) mod cell_cache;
pub(crate) mod error;
pub(crate) mod handle;
pub(crate) mod id;
pub(crate) mod raw;
pub(crate) mod slab;
mod spawn;
pub(crate) mod waker;
mod yield_now;

pub use error::TaskError;
pub use handle::{CancelHandle, Task};
pub use id::TaskId;
pub use spawn::{all_tasks, current_task, spawn, spawn_named, TaskInfo};
pub use yield_now::{yield_now, YieldNow};
