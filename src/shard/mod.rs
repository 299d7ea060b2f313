//! One loop per core: thread-per-core, shared-nothing.
//!
//! A loop is single-threaded on purpose. A program that outgrows one core
//! runs several loops, one per thread ("shards"), and shares nothing between
//! them: each shard owns its tasks, sockets and data, the kernel spreads
//! connections between the shards' listeners
//! ([`TcpListener::bind_reuse_port`](crate::net::TcpListener::bind_reuse_port)),
//! and a shard reaches another shard's data by sending it work through that
//! shard's [`LoopHandle`](crate::LoopHandle) ([`Shard::handle`]): `spawn`, `spawn_with`,
//! `call_soon_threadsafe`. Nothing else crosses threads.
//!
//! ```
//! use evloop::shard::{self, Shard};
//!
//! // Two shards; each asks the *other* one for its index, through its handle.
//! let answers = shard::run(2, |me: Shard| async move {
//!     let other = (me.index() + 1) % me.count();
//!     let remote = me.handle(other).spawn_with(move || async move { other * 10 });
//!     remote.await.unwrap()
//! });
//! assert_eq!(answers, vec![10, 0]); // outputs in shard order
//! ```
//!
//! # Lifecycle
//!
//! [`run`] (or [`Builder::run`]) starts `n` threads, builds one loop on
//! each, and only when every loop exists calls `f` on each shard's thread,
//! inside its running loop, to make that shard's main future. The caller's
//! thread waits. A shard whose main future has finished keeps its loop
//! turning — serving what other shards send it — until every shard's main
//! future has finished; then every loop closes (cancelling the tasks left,
//! as [`run`](crate::run) does) and the outputs come back in shard order.
//!
//! # Panics
//!
//! A panic in one shard's main future (or in `f`) cancels every other
//! shard's main future — it is dropped, so its destructors and
//! [`on_cancel`](crate::on_cancel) hooks run — waits until all of them have
//! ended and every loop has closed, then resumes that first panic in the
//! caller. The cancellation travels like any other cross-shard message:
//! through the shard's `LoopHandle::call_soon_threadsafe`, so a shard stuck
//! in blocking code (not at an `.await`) is cancelled only when it returns
//! to its loop.
//!
//! # Ctrl-C and SIGTERM
//!
//! Shards install no signal handler by themselves. A signal reaches every
//! shard that listens for it: [`signal::ctrl_c`](crate::signal::ctrl_c) and
//! [`signal::signal`](crate::signal::signal) register one handler per
//! listener, and each delivery is told to every listener in the process. So
//! the simplest graceful shutdown is "each shard listens": every shard's
//! main future races its work against `ctrl_c()` (or `SIGTERM`) and winds
//! down on its own. Listening on one shard and telling the others through
//! their handles works too, but needs no more code and saves nothing.
//!
//! ```no_run
//! use evloop::shard;
//!
//! shard::run(4, |me| async move {
//!     let work = evloop::spawn(async { /* serve */ });
//!     evloop::signal::ctrl_c().await.unwrap(); // every shard sees it
//!     work.cancel();
//!     println!("shard {} stopped", me.index());
//! });
//! ```
//!
//! # What a shard must not do
//!
//! - Block its thread (a blocking call, a `std::sync::Mutex` held across a
//!   wait for another shard, `futures::executor::block_on` of a
//!   `RemoteTask`): every task of that shard stalls, and two shards waiting
//!   for each other that way deadlock. Await the `RemoteTask` instead.
//! - Share data through `Arc<Mutex<_>>` on the hot path: that is the
//!   contention shards exist to avoid. Give each piece of data one owner
//!   shard and send work to it.
//! - Expect a sibling's loop after it closed: a `RemoteTask` sent to a loop
//!   that has closed yields a cancelled `TaskError`.

mod affinity;
mod builder;
mod handle;
mod notice;

pub use builder::Builder;
pub use handle::Shard;

use std::future::Future;

/// Runs `f` on `n` shards (`n` loops on `n` new threads) and returns their
/// outputs in shard order; see the [module docs](self) for the lifecycle,
/// panics and signals. Same as `Builder::new(n).run(f)`: no core pinning,
/// default loops.
///
/// ```
/// let squares = evloop::shard::run(3, |me| async move {
///     evloop::sleep(std::time::Duration::from_millis(10 * (3 - me.index() as u64))).await;
///     me.index() * me.index()
/// });
/// assert_eq!(squares, vec![0, 1, 4]);
/// ```
///
/// # Panics
/// If `n` is 0, if a thread or a loop cannot be created, and with the first
/// panic of a shard (after the others have been cancelled and closed).
#[track_caller]
pub fn run<F, Fut>(n: usize, f: F) -> Vec<Fut::Output>
where
    F: Fn(Shard) -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    Builder::new(n).run(f)
}
