//! Structured concurrency: `task_group`, `TaskGroup` and `ErrorGroup`
//! (asyncio's `TaskGroup` and `ExceptionGroup` / `except*`).
//!
//! | file | what it holds |
//! |---|---|
//! | `task_group.rs` | `task_group` (the driver) and the `TaskGroup` handle |
//! | `child.rs` | the future spawned around each child, and its release guard |
//! | `state.rs` | what the driver, the handles and the children share |
//! | `nesting.rs` | which group's body is being polled: a nested group's parent |
//! | `error_group.rs` | `ErrorGroup`, with `split` as `except*` |

mod child;
mod error_group;
mod nesting;
mod state;
mod task_group;

pub use error_group::ErrorGroup;
pub use task_group::{task_group, TaskGroup};
