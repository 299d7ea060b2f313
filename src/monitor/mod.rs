//! Seeing inside the loop while it runs: counters, slow polls, the stall
//! watchdog, task snapshots, the trace, and a live feed for `top`.
//!
//! Everything but [`serve`] comes from the core crate; its documentation
//! walks through each tool. [`serve`] streams the same figures to other
//! processes over a Unix socket; `cargo run --example top -- PATH` shows
//! them live.

pub use evloop_core::monitor::*;

mod serve;
mod snapshot_json;

pub use serve::serve;
