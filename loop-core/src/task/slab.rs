//! The task slab: where every live task of one loop is registered.
//!
//! A slot holds a pointer to the task's heap cell, a *generation* and the
//! *scheduled* bit. The pair (slot, generation) names one task for its whole
//! life (see `address.rs`): when a task finishes its slot is freed and the
//! generation moves on, so a waker or a run-queue entry that still names the
//! old pair no longer matches anything. That is how a stale waker costs at
//! most a lookup.
//!
//! The slab is only consulted to turn an address into the task — by a
//! waker, a `cancel` from afar, a snapshot. Polling a queued task does not
//! look here: the run queue holds the task itself (`run_queue.rs`), and
//! whether it is queued is a bit in its header (`raw.rs`).
//!
//! # Memory after a burst
//!
//! A burst of a million tasks grows the slab to a million entries. The loop
//! gives that memory back once the burst is over (`trim.rs`): every few
//! thousand ticks it calls [`TaskSlab::trim`], which looks at the most
//! tasks alive at once since the last call, and if the slab is over four
//! times that, it drops the free entries at its end, shrinks its vectors,
//! and sorts the free list so that new tasks take the lowest slots first
//! (which lets the next shrink cut deeper). Nothing happens on the spawn
//! and finish paths, and a loop that runs bursts back to back keeps its
//! capacity. Truncated slots keep their generations in `fresh_generation`,
//! the first generation of any entry created later, so an address that named
//! a truncated slot does not match its next task.

use super::address::{next_generation, TaskAddress, MAX_SLOT};
use super::raw::TaskRef;
use crate::trim;

struct Entry {
    task: Option<TaskRef>,
    generation: u32,
}

impl trim::StoreEntry for Entry {
    fn is_free(&self) -> bool {
        self.task.is_none()
    }
    fn generation(&self) -> u32 {
        self.generation
    }
}

/// A generational slab of live tasks.
pub(crate) struct TaskSlab {
    entries: Vec<Entry>,
    /// Free slots; popped from the end.
    free: Vec<u32>,
    len: usize,
    /// The generation a newly created entry starts at.
    fresh_generation: u32,
    /// The most tasks alive at once since the last `trim`.
    peak: usize,
}

impl TaskSlab {
    pub(crate) fn new() -> Self {
        TaskSlab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
            fresh_generation: 0,
            peak: 0,
        }
    }

    /// Number of live tasks.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of entries held, live or free: the slab's footprint.
    pub(crate) fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// Registers `task` of loop `loop_index`, records its address in its
    /// cell, and returns it.
    #[inline(always)]
    pub(crate) fn insert(&mut self, task: TaskRef, loop_index: u16) -> TaskAddress {
        self.len += 1;
        if self.len > self.peak {
            self.peak = self.len;
        }
        let (slot, entry) = match self.free.pop() {
            Some(slot) => (slot, &mut self.entries[slot as usize]),
            None => self.grow(),
        };
        let address = TaskAddress {
            loop_index,
            slot,
            generation: entry.generation,
        };
        task.set_address(address);
        // The entry is free: there is no old task to drop.
        let free = entry.task.replace(task);
        debug_assert!(free.is_none());
        std::mem::forget(free);
        address
    }

    /// A new entry at the end, for `insert`.
    #[cold]
    fn grow(&mut self) -> (u32, &mut Entry) {
        let slot = self.entries.len();
        assert!(
            slot <= MAX_SLOT as usize,
            "evloop: more than {MAX_SLOT} live tasks on one loop; \
             this is almost certainly a spawn loop that never awaits its tasks"
        );
        self.entries.push(Entry {
            task: None,
            generation: self.fresh_generation,
        });
        (slot as u32, self.entries.last_mut().expect("just pushed"))
    }

    /// Removes the task at `slot` (which must be live) and moves the
    /// generation on, so every address naming it becomes stale.
    #[inline]
    pub(crate) fn remove(&mut self, slot: u32) -> TaskRef {
        let entry = &mut self.entries[slot as usize];
        let task = entry.task.take().expect("evloop bug: removing a free task slot");
        entry.generation = next_generation(entry.generation);
        self.free.push(slot);
        self.len -= 1;
        task
    }

    /// Gives back the memory of free entries if the slab is over four times
    /// the most tasks alive at once since the last call (module doc).
    #[cold]
    pub(crate) fn trim(&mut self) {
        let peak = std::mem::replace(&mut self.peak, self.len).max(self.len);
        if let Some(cut) = trim::shrink_store(&mut self.entries, &mut self.free, peak) {
            self.fresh_generation = self.fresh_generation.max(cut);
        }
    }

    /// The live task named by (slot, generation), if any.
    #[inline]
    pub(crate) fn get(&self, slot: u32, generation: u32) -> Option<&TaskRef> {
        self.entries
            .get(slot as usize)
            .filter(|e| e.generation == generation)
            .and_then(|e| e.task.as_ref())
    }

    /// Every live task with its slot and generation.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, &TaskRef)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.task.as_ref().map(|t| (i as u32, e.generation, t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::cell_cache::CellCache;
    use crate::task::id::TaskId;
    use std::panic::Location;

    fn name(address: TaskAddress) -> (u32, u32) {
        (address.slot, address.generation)
    }

    fn dummy() -> TaskRef {
        TaskRef::allocate(&CellCache::new(), async {}, TaskId::next(), None, Location::caller()).0
    }

    #[test]
    fn removal_makes_the_name_stale_and_the_slot_reused_with_a_new_generation() {
        let mut slab = TaskSlab::new();
        let (slot, generation) = name(slab.insert(dummy(), 0));
        assert_eq!((slot, generation), (0, 0));
        assert!(slab.get(slot, generation).is_some());
        drop(slab.remove(slot));
        assert_eq!(slab.len(), 0);
        // The old name is stale now.
        assert!(slab.get(slot, generation).is_none());
        let (slot2, gen2) = name(slab.insert(dummy(), 0));
        assert_eq!(slot2, slot);
        assert_eq!(gen2, 1);
        assert!(slab.get(slot, generation).is_none());
        assert!(slab.get(slot2, gen2).is_some());
    }

    #[test]
    fn generations_wrap_within_their_bits() {
        let mut slab = TaskSlab::new();
        let t = dummy();
        for _ in 0..((1usize << crate::task::address::GENERATION_BITS) + 2) {
            let (slot, _) = name(slab.insert(t.clone(), 0));
            slab.remove(slot);
        }
        let (_, generation) = name(slab.insert(t.clone(), 0));
        assert_eq!(generation, 2);
        assert_eq!(t.refs_for_test(), 2, "ours and the slab's");
    }

    #[test]
    fn iter_lists_only_live_tasks() {
        let mut slab = TaskSlab::new();
        for _ in 0..4 {
            name(slab.insert(dummy(), 0));
        }
        slab.remove(1);
        slab.remove(3);
        let slots: Vec<u32> = slab.iter().map(|(s, _, _)| s).collect();
        assert_eq!(slots, vec![0, 2]);
    }

    #[test]
    fn a_burst_gives_its_memory_back_and_stale_names_stay_stale() {
        let mut slab = TaskSlab::new();
        let t = dummy();
        let names: Vec<(u32, u32)> = (0..100_000).map(|_| name(slab.insert(t.clone(), 0))).collect();
        assert_eq!(slab.capacity(), 100_000);
        slab.trim();
        assert_eq!(slab.capacity(), 100_000, "at its peak the slab keeps its size");
        // One survivor high up keeps the slab from shrinking below it.
        let (survivor, _) = names[90_000];
        for &(slot, _) in names.iter().filter(|(s, _)| *s != survivor) {
            slab.remove(slot);
        }
        slab.trim();
        assert_eq!(slab.capacity(), 100_000, "a recent peak keeps the capacity");
        slab.trim();
        assert_eq!(slab.capacity(), 90_001, "a quiet window: cut above the survivor");
        slab.remove(survivor);
        // A few tasks come and go: they take the lowest slots.
        for _ in 0..1000 {
            let (slot, _) = name(slab.insert(t.clone(), 0));
            slab.remove(slot);
        }
        slab.trim();
        assert!(
            slab.capacity() < trim::SHRINK_MIN_ENTRIES,
            "still {} entries",
            slab.capacity()
        );
        // New tasks in truncated slots do not answer to the old names.
        let fresh: Vec<(u32, u32)> = (0..10).map(|_| name(slab.insert(t.clone(), 0))).collect();
        for (slot, generation) in &names[..10] {
            if fresh.iter().any(|(s, _)| s == slot) {
                assert!(
                    slab.get(*slot, *generation).is_none(),
                    "slot {slot} matched a stale name"
                );
            }
        }
    }
}
