//! A task's address: (loop, slot, generation), and how it packs into one
//! machine word — the data word of the task's waker (`waker.rs`).
//!
//! # Layout
//!
//! ```text
//!  63            48 47                 28 27                            0
//! +----------------+---------------------+-------------------------------+
//! |   loop index   |  generation (20 b)  |        slot (28 bits)         |
//! +----------------+---------------------+-------------------------------+
//! ```
//!
//! * the **loop index** is the loop's place in the registry of live loops
//!   (`remote/inbox.rs`); it is reused once a loop is gone, so it names a
//!   loop only while that loop lives;
//! * the **slot** is the task's place in its loop's slab (`slab.rs`);
//! * the **generation** tells apart the tasks that held the same slot one
//!   after the other, so a stale address (the task finished, the slot was
//!   reused) names nothing — until the 20 bits wrap, when it costs at most
//!   one spurious poll, which the `Future` contract allows.

#[cfg(not(target_pointer_width = "64"))]
compile_error!("evloop packs (loop, generation, slot) into a pointer-sized word and needs a 64-bit target");

/// Bits of a slot index.
pub(crate) const SLOT_BITS: u32 = 28;
/// Bits of a generation.
pub(crate) const GENERATION_BITS: u32 = 20;
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;
const GENERATION_MASK: u32 = (1 << GENERATION_BITS) - 1;
/// The largest slot index a task may have.
pub(crate) const MAX_SLOT: u32 = (1 << SLOT_BITS) - 1;

/// The generation after `generation`, wrapping within `GENERATION_BITS`.
#[inline]
pub(crate) fn next_generation(generation: u32) -> u32 {
    generation.wrapping_add(1) & GENERATION_MASK
}

/// Where a task lives: which loop, which slab slot, which generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TaskAddress {
    pub(crate) loop_index: u16,
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

impl TaskAddress {
    /// An address that names no task (loop 0, slot 0, generation 0 may be a
    /// real task: this is only a placeholder until the slab assigns one).
    pub(crate) const UNSET: TaskAddress = TaskAddress {
        loop_index: 0,
        slot: 0,
        generation: 0,
    };

    /// The address as one word.
    #[inline]
    pub(crate) fn pack(self) -> usize {
        ((self.loop_index as usize) << (SLOT_BITS + GENERATION_BITS))
            | (((self.generation & GENERATION_MASK) as usize) << SLOT_BITS)
            | (self.slot as usize & SLOT_MASK)
    }

    /// The address a word from [`pack`](Self::pack) names.
    #[inline]
    pub(crate) fn unpack(word: usize) -> TaskAddress {
        TaskAddress {
            loop_index: (word >> (SLOT_BITS + GENERATION_BITS)) as u16,
            generation: ((word >> SLOT_BITS) as u32) & GENERATION_MASK,
            slot: (word & SLOT_MASK) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_at_the_edges() {
        for address in [
            TaskAddress::UNSET,
            TaskAddress {
                loop_index: u16::MAX,
                slot: MAX_SLOT,
                generation: GENERATION_MASK,
            },
            TaskAddress {
                loop_index: 0xBEEF,
                slot: 12345,
                generation: 678,
            },
        ] {
            assert_eq!(TaskAddress::unpack(address.pack()), address);
        }
    }

    #[test]
    fn generations_wrap_within_their_bits() {
        assert_eq!(next_generation(GENERATION_MASK), 0);
        assert_eq!(next_generation(5), 6);
    }
}
