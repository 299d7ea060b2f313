//! `LoopHandle`: what another thread holds to reach a loop.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::remote_task::{self, RemoteTask};
use super::{LoopClosed, RemoteMsg, Shared};

/// A thread-safe handle to a loop: stop it, run a closure on it, or spawn a
/// `Send` future on it, from any thread.
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::new().unwrap();
/// let handle = lp.handle();
/// let worker = std::thread::spawn(move || {
///     let answer = handle.spawn(async { 6 * 7 });
///     handle.call_soon_threadsafe(|| println!("hello from the loop thread")).unwrap();
///     let value = futures_lite::future::block_on(answer).unwrap();
///     handle.stop();
///     value
/// });
/// lp.run_forever();
/// assert_eq!(worker.join().unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    shared: Arc<Shared>,
}

impl LoopHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> LoopHandle {
        LoopHandle { shared }
    }

    /// Asks the loop to stop: the current tick finishes, then `run_forever`
    /// returns. Wakes a sleeping loop at once. Does nothing if the loop is
    /// closed.
    pub fn stop(&self) {
        let _ = self.shared.send(RemoteMsg::Stop);
    }

    /// Runs `f` on the loop thread on a later tick; wakes a sleeping loop at
    /// once.
    ///
    /// # Errors
    /// [`LoopClosed`] if the loop is closed: `f` is then dropped here, on
    /// the calling thread, without running.
    #[track_caller]
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> Result<(), LoopClosed> {
        self.shared
            .send(RemoteMsg::Call(Box::new(f), std::panic::Location::caller()))
            .map_err(|refused| {
                drop(refused);
                LoopClosed
            })
    }

    /// Spawns `fut` on the loop from any thread. The returned [`RemoteTask`]
    /// can be awaited from any thread or executor; it yields a cancelled
    /// `TaskError` if the loop closes before the future completes, and a
    /// refused one (`is_refused`, "event loop is closed") if the loop was
    /// already closed.
    pub fn spawn<F>(&self, fut: F) -> RemoteTask<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        self.spawn_with(move || fut)
    }

    /// Spawns the future that `make` builds, calling `make` on the loop
    /// thread — so the future itself need not be `Send` (it may hold `Rc`s,
    /// `Task` handles, primitives). Only `make` and the output cross threads.
    ///
    /// ```
    /// # use evloop_core as evloop;
    /// let lp = evloop::EventLoop::new().unwrap();
    /// let handle = lp.handle();
    /// let t = std::thread::spawn(move || {
    ///     let task = handle.spawn_with(|| async {
    ///         let shared = std::rc::Rc::new(5); // !Send, built on the loop thread
    ///         let child = evloop::spawn(async { 1 });
    ///         *shared + child.await.unwrap()
    ///     });
    ///     let v = futures_lite::future::block_on(task).unwrap();
    ///     handle.stop();
    ///     v
    /// });
    /// lp.run_forever();
    /// assert_eq!(t.join().unwrap(), 6);
    /// ```
    pub fn spawn_with<M, F>(&self, make: M) -> RemoteTask<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send,
    {
        let (task, job) = remote_task::pair(make, self.shared.clone());
        if let Err(refused) = self
            .shared
            .send(RemoteMsg::Call(Box::new(job), std::panic::Location::caller()))
        {
            task.refuse("spawn refused: the event loop is closed");
            drop(refused);
        }
        task
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopHandle")
            .field("loop", &self.shared.index())
            .finish()
    }
}
