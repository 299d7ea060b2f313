//! `EvloopExecutor`: hyper's background futures as evloop tasks.

use std::future::Future;

/// A [`hyper::rt::Executor`] that spawns each future
/// on the running loop with [`evloop::spawn`](crate::spawn) and detaches it.
/// The futures need not be `Send`.
///
/// # Panics
/// `execute` panics outside a running loop.
#[derive(Clone, Copy, Debug, Default)]
pub struct EvloopExecutor;

impl<F> ::hyper::rt::Executor<F> for EvloopExecutor
where
    F: Future + 'static,
{
    fn execute(&self, fut: F) {
        // Dropping the handle detaches: the loop owns the task.
        drop(crate::spawn(fut));
    }
}
