//! Counting polls: wrap a future to count how often it is polled.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;

/// A shared poll counter.
#[derive(Debug, Clone, Default)]
pub struct Polls(Rc<Cell<u64>>);

impl Polls {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The polls so far, of every future wrapped with this counter.
    pub fn get(&self) -> u64 {
        self.0.get()
    }

    /// A future that behaves like `fut` and counts each of its polls.
    pub fn wrap<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        let count = self.0.clone();
        async move {
            let mut fut = pin!(fut);
            poll_fn(|cx| {
                count.set(count.get() + 1);
                fut.as_mut().poll(cx)
            })
            .await
        }
    }
}
