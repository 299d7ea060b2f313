//! Giving memory back once a burst is over.
//!
//! A burst — a million tasks, timers or wakes at once — grows the task
//! slab, the timer store and the run queue to its size, and a loop that
//! keeps its peak forever keeps tens of megabytes it no longer needs. But a
//! loop that runs bursts back to back (a server under load, a benchmark)
//! must not pay to shrink and regrow on every one.
//!
//! So each of the three remembers its peak since the last trim (the slab
//! and the timer store when they grow by one, one comparison; the run queue
//! once per tick, before the run step), and every [`WINDOW`] ticks the
//! scheduler asks each to trim: to shrink to fit that peak, keeping some
//! headroom, and only when it is over four times the peak. A loop whose
//! load stays high never shrinks; one that quiets down gives its memory
//! back within a window or two.

/// Ticks between two trims.
pub(crate) const WINDOW: u64 = 4096;

/// Stores below this many entries never shrink.
pub(crate) const SHRINK_MIN_ENTRIES: usize = 4096;

/// An entry of a generational store (the task slab, the timer store): free
/// or holding something, with the generation that tells its successive
/// occupants apart.
pub(crate) trait StoreEntry {
    fn is_free(&self) -> bool;
    fn generation(&self) -> u32;
}

/// Trims a generational store whose live entries peaked at `peak` since the
/// last trim: if it is over four times that, cuts the free entries at its
/// end, keeps in `free` only the slots below the new end (lowest last, so
/// they are taken first and the next trim can cut deeper) and gives back
/// the spare capacity of both vectors. Returns the highest generation cut,
/// which entries created later must start above so that an old name of a
/// cut slot matches none of them; `None` if nothing was trimmed.
pub(crate) fn shrink_store<E: StoreEntry>(entries: &mut Vec<E>, free: &mut Vec<u32>, peak: usize) -> Option<u32> {
    if entries.len() < SHRINK_MIN_ENTRIES || peak * 4 > entries.len() {
        return None;
    }
    let mut highest_cut = 0;
    while entries.last().is_some_and(E::is_free) {
        let gone = entries.pop().expect("checked just above");
        highest_cut = highest_cut.max(gone.generation());
    }
    let end = entries.len() as u32;
    free.retain(|&slot| slot < end);
    free.sort_unstable_by(|a, b| b.cmp(a));
    entries.shrink_to(entries.len() * 2);
    free.shrink_to(free.len() * 2);
    Some(highest_cut)
}
