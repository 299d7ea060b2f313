//! The run queue: what is ready to run, first in, first out.
//!
//! A ring buffer over a `Vec<Option<Ready>>` whose length is a power of two,
//! rather than `std::collections::VecDeque`, for one reason: every wake ends
//! in a push, and this push is small enough to inline into the wake path, so
//! the entry is stored straight into its slot. `VecDeque::push_back` stayed
//! out of line; the caller wrote the 16-byte entry to the stack with narrow
//! stores and the callee read it back with one wide load, which the CPU
//! cannot forward from the stores and so stalls on (a third of `yield_many`'s
//! time in a profile). Measured with `cargo bench --bench scheduling`:
//! yield_many 9% faster, the others within noise.
//!
//! An empty slot is `None` (the same 16 bytes as `Runnable`, by the niche in
//! its tag), and popping takes the entry out.
//!
//! Once a burst (a million tasks woken at once) is over, the loop shrinks
//! the buffer to fit the longest queue it saw lately
//! ([`RunQueue::trim`], every few thousand ticks, `trim.rs`):
//! memory comes back without the push path or back-to-back bursts paying
//! for it.
//!
//! # Protocol
//!
//! The queue is touched on every spawn, wake and poll, so it is not a
//! `RefCell`: its borrow flag cost a check and two stores per push and per
//! pop (5% of a yield's instructions, `benches/count_instructions.sh`).
//! [`RunQueue`] hands out `&mut` access to its ring only inside its own
//! methods, for the length of one push, pop or resize; none of them calls
//! code outside this file or drops an entry (entries are moved in and out,
//! never dropped in place), so no user code — a destructor, a waker — can
//! run while the `&mut` lives and reach the queue again. `UnsafeCell` makes
//! the queue `!Sync`, so only the loop's thread can call it.

use std::cell::UnsafeCell;
use std::rc::Rc;

use crate::callback::CallbackCell;
use crate::task::raw::TaskRef;

/// One entry of the run queue: something to run on this tick or a later one.
pub(crate) enum Runnable {
    /// A task (the main task too), with the reference count the queue holds
    /// on it: polling a queued task needs no lookup. Its `SCHEDULED` bit
    /// keeps it from being queued twice (`task/raw.rs`).
    Task(TaskRef),
    /// A callback from `call_soon`, `call_later`, `call_at` or
    /// `call_soon_threadsafe`.
    Callback(Rc<CallbackCell>),
}

/// A FIFO of [`Runnable`] entries, used through `&self` (module doc).
#[derive(Default)]
pub(crate) struct RunQueue {
    ring: UnsafeCell<Ring>,
}

impl RunQueue {
    /// Runs one of [`Ring`]'s methods on the ring.
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Ring) -> R) -> R {
        // SAFETY: `f` is one of `Ring`'s methods (every caller is below),
        // which call nothing outside this file and drop no entry, so
        // nothing can reach this queue again while the `&mut` lives; the
        // queue is `!Sync` (module doc).
        f(unsafe { &mut *self.ring.get() })
    }

    /// Number of entries.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.with(|r| r.len)
    }

    /// True if nothing is queued.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.with(|r| r.len == 0)
    }

    /// Appends `entry` at the back.
    #[inline]
    pub(crate) fn push_back(&self, entry: Runnable) {
        self.with(|r| r.push_back(entry));
    }

    /// Takes the entry at the front.
    #[inline]
    pub(crate) fn pop_front(&self) -> Option<Runnable> {
        self.with(Ring::pop_front)
    }

    /// Notes the current length as a candidate peak; the scheduler calls it
    /// once per tick, where the queue is longest (before its run step).
    #[inline]
    pub(crate) fn note_peak(&self) {
        self.with(Ring::note_peak);
    }

    /// Shrinks the buffer if it is large and over four times the longest
    /// the queue was since the last call (it keeps twice that).
    pub(crate) fn trim(&self) {
        self.with(Ring::trim);
    }

    /// Buffer slots held: the queue's footprint.
    pub(crate) fn capacity(&self) -> usize {
        self.with(|r| r.slots.len())
    }

    /// Empties the queue, handing its entries to the caller to drop (their
    /// destructors may use the queue again).
    pub(crate) fn take_all(&self) -> impl Iterator<Item = Runnable> {
        let mut ring = self.with(std::mem::take);
        std::iter::from_fn(move || ring.pop_front())
    }
}

/// The ring buffer behind [`RunQueue`].
#[derive(Default)]
struct Ring {
    /// `slots.len()` is zero or a power of two; the entries are the `len`
    /// slots from `head` on, wrapping around.
    slots: Vec<Option<Runnable>>,
    head: usize,
    len: usize,
    /// The longest the queue was since the last `trim`.
    peak: usize,
}

impl Ring {
    /// The capacity of the first allocation.
    const FIRST_CAPACITY: usize = 64;
    /// Buffers up to this size are kept whatever their use.
    const SHRINK_ABOVE: usize = 1024;

    /// Appends `entry` at the back.
    #[inline]
    fn push_back(&mut self, entry: Runnable) {
        if self.len == self.slots.len() {
            self.grow();
        }
        let index = (self.head + self.len) & (self.slots.len() - 1);
        // The slot is empty (it is past the last entry): no old value to drop.
        let empty = self.slots[index].replace(entry);
        debug_assert!(empty.is_none());
        std::mem::forget(empty);
        self.len += 1;
    }

    /// Takes the entry at the front.
    #[inline]
    fn pop_front(&mut self) -> Option<Runnable> {
        if self.len == 0 {
            return None;
        }
        let entry = self.slots[self.head].take();
        self.head = (self.head + 1) & (self.slots.len() - 1);
        self.len -= 1;
        entry
    }

    /// Notes the current length as a candidate peak; the scheduler calls it
    /// once per tick, where the queue is longest (before its run step).
    #[inline]
    fn note_peak(&mut self) {
        if self.len > self.peak {
            self.peak = self.len;
        }
    }

    /// Shrinks the buffer if it is large and over four times the longest
    /// the queue was since the last call (it keeps twice that).
    #[cold]
    fn trim(&mut self) {
        let peak = std::mem::replace(&mut self.peak, self.len).max(self.len);
        if self.slots.len() > Self::SHRINK_ABOVE && peak * 4 < self.slots.len() {
            let keep = (peak * 2).next_power_of_two().max(Self::FIRST_CAPACITY);
            self.resize(keep);
        }
    }

    /// Doubles the capacity, moving the entries to the front in order.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.resize((self.slots.len() * 2).max(Self::FIRST_CAPACITY));
    }

    /// Moves the entries, in order, into a buffer of `capacity` slots.
    #[cold]
    fn resize(&mut self, capacity: usize) {
        debug_assert!(capacity.is_power_of_two() && capacity >= self.len);
        let mut slots = Vec::with_capacity(capacity);
        while let Some(entry) = self.pop_front() {
            slots.push(Some(entry));
        }
        self.len = slots.len();
        slots.resize_with(capacity, || None);
        self.slots = slots;
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(n: u32) -> Runnable {
        let cells = crate::task::cell_cache::CellCache::new();
        let at = std::panic::Location::caller();
        let (task, _queued, _output) = TaskRef::allocate(&cells, async {}, crate::task::TaskId::next(), None, at);
        task.set_address(crate::task::TaskAddress {
            loop_index: 0,
            slot: n,
            generation: 0,
        });
        Runnable::Task(task)
    }

    fn slot_of(entry: Option<Runnable>) -> Option<u32> {
        match entry {
            Some(Runnable::Task(task)) => Some(task.address().slot),
            Some(_) => panic!("only tasks were pushed"),
            None => None,
        }
    }

    #[test]
    fn keeps_fifo_order_across_wraparound_and_growth() {
        let q = RunQueue::default();
        let mut model = std::collections::VecDeque::new();
        let mut next = 0u32;
        // Pushes and pops in a pattern that wraps the head around the
        // buffer many times and grows it while wrapped.
        for round in 0..2_000u32 {
            for _ in 0..(round % 7) {
                q.push_back(task(next));
                model.push_back(next);
                next += 1;
            }
            for _ in 0..(round % 5) {
                assert_eq!(slot_of(q.pop_front()), model.pop_front());
            }
            assert_eq!(q.len(), model.len());
            assert_eq!(q.is_empty(), model.is_empty());
        }
        while let Some(expected) = model.pop_front() {
            assert_eq!(slot_of(q.pop_front()), Some(expected));
        }
        assert!(q.pop_front().is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn an_empty_slot_costs_no_space() {
        assert_eq!(std::mem::size_of::<Option<Runnable>>(), std::mem::size_of::<Runnable>());
    }

    #[test]
    fn a_burst_gives_its_memory_back_in_order() {
        let q = RunQueue::default();
        for n in 0..100_000 {
            q.push_back(task(n));
        }
        let big = q.capacity();
        q.note_peak(); // the scheduler's look before a run step
        for n in 0..99_990 {
            assert_eq!(slot_of(q.pop_front()), Some(n));
        }
        q.trim();
        assert_eq!(q.capacity(), big, "a recent peak keeps the capacity");
        q.trim();
        assert!(q.capacity() <= Ring::SHRINK_ABOVE, "{} of {big}", q.capacity());
        for n in 99_990..100_000 {
            assert_eq!(slot_of(q.pop_front()), Some(n), "order kept across the shrink");
        }
        assert!(q.is_empty());
    }
}
