//! The task slab: where every live task of one loop is registered.
//!
//! A slot holds a pointer to the task's heap cell, a *generation* and the
//! *scheduled* bit. The pair (slot, generation) names one task for its whole
//! life: when a task finishes its slot is freed and the generation moves on,
//! so a waker or a run-queue entry that still names the old pair no longer
//! matches anything. That is how a stale waker costs at most a lookup.
//!
//! The scheduled bit deduplicates wakes: a task is pushed onto the run queue
//! only when the bit goes from clear to set, and the bit is cleared when the
//! scheduler takes the task off the queue, just before polling it.

use super::raw::TaskRef;

/// Generations are kept to this many bits so that a waker can pack
/// (loop, slot, generation) into one machine word (see `waker.rs`).
pub(crate) const GEN_BITS: u32 = 20;
/// Slot indexes are kept to this many bits, for the same reason.
pub(crate) const SLOT_BITS: u32 = 28;
const GEN_MASK: u32 = (1 << GEN_BITS) - 1;

/// The generation after `generation`, wrapping within `GEN_BITS`.
#[inline]
pub(crate) fn next_generation(generation: u32) -> u32 {
    generation.wrapping_add(1) & GEN_MASK
}
/// The largest slot index a task may have; larger ones are reserved.
const MAX_SLOTS: usize = (1 << SLOT_BITS) - 2;

struct Entry {
    task: Option<TaskRef>,
    generation: u32,
    scheduled: bool,
}

/// A generational slab of live tasks.
pub(crate) struct TaskSlab {
    entries: Vec<Entry>,
    free: Vec<u32>,
    len: usize,
}

impl TaskSlab {
    pub(crate) fn new() -> Self {
        TaskSlab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Number of live tasks.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Registers `task` and returns its (slot, generation), already marked
    /// scheduled: a new task is always queued for its first poll.
    #[inline]
    pub(crate) fn insert(&mut self, task: TaskRef) -> (u32, u32) {
        self.len += 1;
        if let Some(slot) = self.free.pop() {
            let entry = &mut self.entries[slot as usize];
            entry.task = Some(task);
            entry.scheduled = true;
            return (slot, entry.generation);
        }
        let slot = self.entries.len();
        assert!(
            slot <= MAX_SLOTS,
            "evloop: more than {MAX_SLOTS} live tasks on one loop; \
             this is almost certainly a spawn loop that never awaits its tasks"
        );
        self.entries.push(Entry {
            task: Some(task),
            generation: 0,
            scheduled: true,
        });
        (slot as u32, 0)
    }

    /// Removes the task at `slot` (which must be live) and moves the
    /// generation on, so every waker naming it becomes stale.
    #[inline]
    pub(crate) fn remove(&mut self, slot: u32) -> TaskRef {
        let entry = &mut self.entries[slot as usize];
        let task = entry.task.take().expect("evloop bug: removing a free task slot");
        entry.generation = next_generation(entry.generation);
        entry.scheduled = false;
        self.free.push(slot);
        self.len -= 1;
        task
    }

    /// Sets the scheduled bit of (slot, generation) if it names a live task.
    /// Returns true when the bit went from clear to set: the caller must
    /// then push the task onto the run queue.
    #[inline]
    pub(crate) fn try_schedule(&mut self, slot: u32, generation: u32) -> bool {
        match self.entries.get_mut(slot as usize) {
            Some(e) if e.generation == generation && e.task.is_some() && !e.scheduled => {
                e.scheduled = true;
                true
            }
            _ => false,
        }
    }

    /// Takes a queued task off the run queue: clears its scheduled bit and
    /// returns it, or None if (slot, generation) no longer names a live task.
    #[inline]
    pub(crate) fn take_scheduled(&mut self, slot: u32, generation: u32) -> Option<TaskRef> {
        match self.entries.get_mut(slot as usize) {
            Some(e) if e.generation == generation => {
                e.scheduled = false;
                e.task.clone()
            }
            _ => None,
        }
    }

    /// The live task in `slot`, if any.
    #[inline]
    pub(crate) fn get(&self, slot: u32) -> Option<&TaskRef> {
        self.entries.get(slot as usize).and_then(|e| e.task.as_ref())
    }

    /// Whether the task in `slot` is queued to run.
    pub(crate) fn is_scheduled(&self, slot: u32) -> bool {
        self.entries.get(slot as usize).is_some_and(|e| e.scheduled)
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

    fn dummy() -> TaskRef {
        TaskRef::allocate(&CellCache::new(), async {}, TaskId::next(), None, Location::caller()).0
    }

    #[test]
    fn insert_marks_scheduled_and_reuses_slots_with_new_generation() {
        let mut slab = TaskSlab::new();
        let (slot, generation) = slab.insert(dummy());
        assert_eq!((slot, generation), (0, 0));
        assert!(!slab.try_schedule(slot, generation), "already scheduled");
        assert!(slab.take_scheduled(slot, generation).is_some());
        assert!(slab.try_schedule(slot, generation));
        drop(slab.remove(slot));
        assert_eq!(slab.len(), 0);
        // The old name is stale now.
        assert!(!slab.try_schedule(slot, generation));
        assert!(slab.take_scheduled(slot, generation).is_none());
        let (slot2, gen2) = slab.insert(dummy());
        assert_eq!(slot2, slot);
        assert_eq!(gen2, 1);
        assert!(slab.take_scheduled(slot, generation).is_none());
        assert!(slab.take_scheduled(slot2, gen2).is_some());
    }

    #[test]
    fn generations_wrap_within_their_bits() {
        let mut slab = TaskSlab::new();
        let t = dummy();
        for _ in 0..(GEN_MASK as usize + 3) {
            let (slot, _) = slab.insert(t.clone());
            slab.remove(slot);
        }
        let (_, generation) = slab.insert(t.clone());
        assert_eq!(generation, 2);
        assert_eq!(t.refs_for_test(), 2, "ours and the slab's");
    }

    #[test]
    fn iter_lists_only_live_tasks() {
        let mut slab = TaskSlab::new();
        for _ in 0..4 {
            slab.insert(dummy());
        }
        slab.remove(1);
        slab.remove(3);
        let slots: Vec<u32> = slab.iter().map(|(s, _, _)| s).collect();
        assert_eq!(slots, vec![0, 2]);
    }
}
