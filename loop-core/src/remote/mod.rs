//! The only part of a loop other threads can touch.
//!
//! Each loop has an inbox (`inbox.rs`): a crossbeam channel of
//! [`RemoteMsg`]s and a `mio::Waker`, listed in a global registry under the
//! loop's 16-bit index (the index every task address carries). A wake from
//! another thread, `call_soon_threadsafe`, `LoopHandle::spawn` and
//! `LoopHandle::stop` all send a message; the loop takes them in step 2 of
//! its tick. `LoopHandle` (`handle.rs`) is the public face of the inbox,
//! `RemoteTask` (`remote_task.rs`) the result of a remote spawn, and
//! `completion.rs` the thread-safe slot that carries a result back (also
//! used by `to_thread`).

pub(crate) mod completion;
mod handle;
mod inbox;
mod loop_closed;
mod remote_task;

pub use handle::LoopHandle;
pub(crate) use inbox::{wake_remote, Inbox, RemoteMsg, Shared};
pub use loop_closed::LoopClosed;
pub use remote_task::RemoteTask;
