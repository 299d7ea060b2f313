//! The task waker: (loop, slot, generation) packed into the waker's data word.
//!
//! # Protocol
//!
//! A `std::task::Waker` is a data pointer plus a vtable. evloop's data word
//! is not a pointer at all: it packs the loop's index in the global loop
//! registry (16 bits), the task's generation (20 bits) and its slab slot
//! (28 bits). So:
//!
//! * cloning a waker copies a word and dropping it does nothing: no
//!   allocation, no reference count, no atomic;
//! * `wake` on the loop's own thread while that loop is running finds the loop
//!   through a thread-local and sets the task's scheduled bit in the slab,
//!   pushing it onto the run queue if the bit was clear;
//! * `wake` anywhere else (another thread, or the loop is not running) goes
//!   through the registry to the loop's remote queue (crossbeam-channel) and
//!   wakes the loop's `mio::Waker` if it may be asleep (`remote/`);
//! * a stale waker (the task finished, its slot was reused) names a
//!   (slot, generation) pair that no longer matches: it is ignored, or at
//!   worst — after the 20-bit generation wraps — causes one spurious poll,
//!   which the `Future` contract allows.
//!
//! The data word is never dereferenced, which is what makes the vtable
//! functions trivially sound.

use std::task::{RawWaker, RawWakerVTable, Waker};

use super::slab::{GEN_BITS, SLOT_BITS};

#[cfg(not(target_pointer_width = "64"))]
compile_error!("evloop packs (loop, generation, slot) into a pointer-sized word and needs a 64-bit target");

/// Slot value naming the future passed to `block_on` (it lives on the stack,
/// not in the slab).
pub(crate) const MAIN_SLOT: u32 = (1 << SLOT_BITS) - 1;
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;
const GEN_MASK: usize = (1 << GEN_BITS) - 1;

/// What a waker names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WakeTarget {
    pub(crate) loop_index: u16,
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

impl WakeTarget {
    fn pack(self) -> usize {
        ((self.loop_index as usize) << (SLOT_BITS + GEN_BITS))
            | ((self.generation as usize & GEN_MASK) << SLOT_BITS)
            | (self.slot as usize & SLOT_MASK)
    }

    fn unpack(word: usize) -> WakeTarget {
        WakeTarget {
            loop_index: (word >> (SLOT_BITS + GEN_BITS)) as u16,
            generation: ((word >> SLOT_BITS) & GEN_MASK) as u32,
            slot: (word & SLOT_MASK) as u32,
        }
    }

    /// The waker for this target.
    #[inline]
    pub(crate) fn waker(self) -> Waker {
        // SAFETY: the vtable functions never dereference the data word and
        // are all thread-safe (a remote wake goes through a channel).
        unsafe { Waker::from_raw(raw(self.pack())) }
    }

    /// The target of `waker`, if it is an evloop task waker.
    #[cfg(test)]
    pub(crate) fn of(waker: &Waker) -> Option<WakeTarget> {
        (waker.vtable() == &VTABLE).then(|| WakeTarget::unpack(waker.data().addr()))
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop_waker);

fn raw(word: usize) -> RawWaker {
    RawWaker::new(std::ptr::without_provenance(word), &VTABLE)
}

fn clone(data: *const ()) -> RawWaker {
    raw(data.addr())
}

fn wake(data: *const ()) {
    crate::context::wake(WakeTarget::unpack(data.addr()));
}

fn drop_waker(_: *const ()) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_and_clones_are_equal() {
        let t = WakeTarget {
            loop_index: 0xBEEF,
            slot: MAIN_SLOT,
            generation: (1 << GEN_BITS) - 1,
        };
        assert_eq!(WakeTarget::unpack(t.pack()), t);
        let w = t.waker();
        let w2 = w.clone();
        assert!(w.will_wake(&w2));
        assert_eq!(WakeTarget::of(&w2), Some(t));
        let other = WakeTarget { slot: 3, ..t }.waker();
        assert!(!w.will_wake(&other));
        assert_eq!(WakeTarget::of(Waker::noop()), None);
    }
}
