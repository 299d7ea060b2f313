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
