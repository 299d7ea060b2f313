//! An ordered log of events, shared between tasks.

use std::cell::RefCell;
use std::rc::Rc;

/// An ordered log of events; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }

    /// The events so far, leaving the log empty.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut())
    }

    /// The events so far.
    pub fn snapshot(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}
