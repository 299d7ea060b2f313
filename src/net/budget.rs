//! A per-socket operation budget: fairness under a flood.
//!
//! With edge-triggered readiness an operation on a socket that always has
//! data (or room) completes at once, every time: a task reading a peer that
//! never pauses would never return `Pending`, and the loop's other tasks,
//! its timers and its other sockets would wait for as long as the flood
//! lasts. So after [`BUDGET`] operations in a row that completed without
//! waiting, the next one wakes its own task and returns `Pending` once: the
//! task goes to the back of the run queue and the tick goes on. A real wait
//! refills the budget. In ordinary request/response traffic a socket waits
//! long before its budget runs out, so this costs nothing there.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations in a row without waiting before a socket yields once.
pub(crate) const BUDGET: u8 = 32;

#[derive(Debug, Default)]
pub(crate) struct Budget(Cell<u8>);

impl Budget {
    /// `Pending` (with the task already woken) when the budget is spent.
    pub(crate) fn poll_proceed(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.get() >= BUDGET {
            self.0.set(0);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(())
    }

    /// Records the outcome of an operation.
    pub(crate) fn record<T>(&self, outcome: Poll<T>) -> Poll<T> {
        match outcome {
            Poll::Ready(_) => self.0.set(self.0.get() + 1),
            Poll::Pending => self.0.set(0),
        }
        outcome
    }
}
