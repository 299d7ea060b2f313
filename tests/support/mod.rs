//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

/// Counts drops: wrap a value (or a future) in a `DropProbe` and check the
/// counter to prove it was dropped (cancelled) exactly once.
#[derive(Clone, Default)]
pub struct DropCounter(Rc<Cell<usize>>);

impl DropCounter {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn get(&self) -> usize {
        self.0.get()
    }
    pub fn probe(&self) -> DropProbe {
        DropProbe(self.0.clone())
    }
    /// A future that behaves like `fut` and counts its own drop.
    pub fn wrap<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        let probe = self.probe();
        async move {
            let _probe = probe;
            fut.await
        }
    }
}

pub struct DropProbe(Rc<Cell<usize>>);

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// An ordered log of events, shared between tasks.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut())
    }
    pub fn snapshot(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// A loop with a paused clock.
pub fn paused() -> evloop::EventLoop {
    evloop::EventLoop::builder().paused_clock(true).build().unwrap()
}

/// Runs `f` on a fresh thread and fails the test if it takes longer than
/// `limit` — a guard against hangs, not a timing assertion.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => {
            worker.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The closure panicked: surface its panic.
            match worker.join() {
                Err(p) => std::panic::resume_unwind(p),
                Ok(()) => unreachable!(),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the test hung for more than {limit:?}"),
    }
}

/// The message of a caught panic.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
