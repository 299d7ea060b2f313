//! A waker that counts how often it was woken.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};

/// Counts its wakes; make one with [`CountingWaker::pair`].
#[derive(Debug)]
pub struct CountingWaker(AtomicUsize);

impl CountingWaker {
    /// A waker and the count of its wakes (`wake` and `wake_by_ref`, of it
    /// and of its clones).
    pub fn pair() -> (Waker, WakeCount) {
        let inner = Arc::new(CountingWaker(AtomicUsize::new(0)));
        (Waker::from(inner.clone()), WakeCount(inner))
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// How many times the waker of a [`CountingWaker::pair`] was woken.
#[derive(Debug)]
pub struct WakeCount(Arc<CountingWaker>);

impl WakeCount {
    /// The wakes so far.
    pub fn get(&self) -> usize {
        self.0 .0.load(Ordering::SeqCst)
    }
}
