//! Seeing inside the loop: counters (always on, plain integers).

pub(crate) mod stats;

pub use stats::{stats, LoopStats};
