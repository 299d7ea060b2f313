//! `FutureSet`: many futures of one type, polled in place, each only when
//! its own waker fired (see `woken.rs`).
//!
//! The futures live in one boxed slice that is pinned and never moves or
//! grows; a finished future is dropped in place at once. Polling is done in
//! *rounds*: a round polls the children that were due when it began
//! (at first all of them, in input order; afterwards those woken since the
//! last round, in wake order). Children woken during a round wait for the
//! next one, which keeps a child that yields from running twice in one poll
//! of the parent — the same rule the loop's tick applies to tasks.

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::woken::WokenList;

pub(crate) struct FutureSet<F> {
    slots: Pin<Box<[Option<F>]>>,
    woken: WokenList,
    /// Children never polled yet: the first round polls them in order.
    fresh: Range<u32>,
    /// The current round: indices taken from the woken list, and how far
    /// through them we are.
    batch: Vec<u32>,
    cursor: usize,
    remaining: usize,
}

/// Whether a call to [`FutureSet::poll_next`] may start a new round.
/// Start each poll of the parent with `Round::new()` and pass it to every
/// `poll_next` call of that poll.
pub(crate) struct Round {
    may_start: bool,
}

impl Round {
    pub(crate) fn new() -> Round {
        Round { may_start: true }
    }
}

impl<F: Future> FutureSet<F> {
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> FutureSet<F> {
        let slots: Box<[Option<F>]> = futures.into_iter().map(Some).collect();
        let n = slots.len();
        FutureSet {
            slots: Box::into_pin(slots),
            woken: WokenList::new(n),
            fresh: 0..n as u32,
            batch: Vec::new(),
            cursor: 0,
            remaining: n,
        }
    }

    /// How many children were given.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// How many children have not finished yet.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// Child `i`'s slot, pinned. Unsafe because std has no safe projection
    /// from a pinned slice to an element, and
    /// `pin-project-lite` projects struct fields only; a `Pin<Box<F>>` per
    /// child would be safe but cost an allocation per child.
    fn slot(slots: &mut Pin<Box<[Option<F>]>>, i: usize) -> Pin<&mut Option<F>> {
        // SAFETY: the slice is pinned and never moved or resized; an element
        // is only ever replaced through `Pin::set`, which drops it in place.
        // So projecting the pin to one element upholds its guarantee.
        unsafe { slots.as_mut().map_unchecked_mut(|s| &mut s[i]) }
    }

    /// Polls child `i` once if it is still running; returns its output if it
    /// finished (the future is dropped right away).
    fn poll_child(&mut self, i: usize) -> Option<F::Output> {
        let mut slot = Self::slot(&mut self.slots, i);
        let fut = slot.as_mut().as_pin_mut()?;
        let out = self.woken.poll_with(i, |cx| fut.poll(cx));
        match out {
            Poll::Ready(v) => {
                slot.set(None);
                self.remaining -= 1;
                Some(v)
            }
            Poll::Pending => None,
        }
    }

    /// Continues the current round until a child finishes, starting a new
    /// round only if `round` still allows it (at most one per parent poll).
    ///
    /// `Ready(Some((index, output)))`: a child finished. `Ready(None)`: every
    /// child has finished. `Pending`: nothing more this poll; the parent's
    /// waker (`cx`) fires when a child is woken.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>, round: &mut Round) -> Poll<Option<(usize, F::Output)>> {
        if self.remaining == 0 {
            self.woken.unregister();
            return Poll::Ready(None);
        }
        if round.may_start {
            // First call of this parent poll, before taking anything: a wake
            // from now on wakes this waker.
            self.woken.register(cx.waker());
        }
        loop {
            let next = if let Some(i) = self.fresh.next() {
                // The first round: it counts as this poll's round.
                round.may_start = false;
                i
            } else if let Some(&i) = self.batch.get(self.cursor) {
                self.cursor += 1;
                i
            } else if round.may_start {
                round.may_start = false;
                self.batch.clear();
                self.cursor = 0;
                self.woken.take_into(&mut self.batch);
                if self.batch.is_empty() {
                    return Poll::Pending;
                }
                continue;
            } else {
                return Poll::Pending;
            };
            if let Some(v) = self.poll_child(next as usize) {
                if self.remaining == 0 {
                    self.woken.unregister();
                }
                return Poll::Ready(Some((next as usize, v)));
            }
        }
    }
}

impl<F> std::fmt::Debug for FutureSet<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FutureSet")
            .field("len", &self.slots.len())
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}
