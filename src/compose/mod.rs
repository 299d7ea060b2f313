//! Composition: running many futures together (`gather`, `try_gather`,
//! `join!`, `try_join!`, `as_completed`, `wait`), racing them (`select!`)
//! and protecting one from cancellation (`shield`).
//!
//! | file | what it holds |
//! |---|---|
//! | `woken.rs` | per-child wakers and the list of woken children (unsafe, protocol in its doc) |
//! | `set.rs` | `FutureSet`: many futures polled in place, in rounds |
//! | `gather.rs`, `try_gather.rs` | results in input order |
//! | `join.rs` | `join!` / `try_join!` for futures of different types |
//! | `select.rs` | `select!`: the first branch to finish wins, the others are dropped |
//! | `as_completed.rs` | outputs in completion order, also a `Stream` |
//! | `wait.rs` | `wait` and `ReturnWhen` |
//! | `shield.rs` | `shield` and `Shield` |

mod as_completed;
mod gather;
mod join;
mod select;
mod set;
mod shield;
mod try_gather;
mod wait;
mod woken;

pub use as_completed::{as_completed, AsCompleted};
pub use gather::gather;
pub use shield::{shield, Shield};
pub use try_gather::try_gather;
pub use wait::{wait, ReturnWhen};

/// Used by the `join!`, `try_join!` and `select!` macros; not public API.
#[doc(hidden)]
pub mod __private {
    pub use super::join::*;
    pub use super::select::{select2, Branch};
}
