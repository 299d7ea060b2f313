//! Task ids: unique for the life of the process, without an atomic per spawn.
//!
//! Each thread takes a block of ids from a global counter (one atomic
//! operation per block) and hands them out with a plain `Cell`.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

const BLOCK: u64 = 4096;
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static NEXT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// Identifies a task; unique for the life of the process.
///
/// ```
/// # use evloop_core as evloop;
/// evloop::run(async {
///     let a = evloop::spawn(async {});
///     let b = evloop::spawn(async {});
///     assert_ne!(a.id(), b.id());
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct TaskId(u64);

impl TaskId {
    #[inline]
    pub(crate) fn next() -> TaskId {
        NEXT.with(|next| {
            let (mut id, mut end) = next.get();
            if id == end {
                id = NEXT_BLOCK.fetch_add(1, Ordering::Relaxed) * BLOCK + 1;
                end = id + BLOCK;
            }
            next.set((id + 1, end));
            TaskId(id)
        })
    }

    /// The id that `as_u64` gave (the stall watchdog carries ids across
    /// threads as numbers).
    pub(crate) fn from_u64(id: u64) -> TaskId {
        TaskId(id)
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Honour width and alignment, for tables like `dump_tasks`.
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_across_threads_and_blocks() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..10_000).map(|_| TaskId::next()).collect::<Vec<_>>()))
            .collect();
        let mut seen = HashSet::new();
        for h in handles {
            for id in h.join().unwrap() {
                assert!(seen.insert(id), "duplicate id {id}");
            }
        }
        assert_eq!(seen.len(), 40_000);
    }
}
