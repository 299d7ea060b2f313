//! Helpers shared by evloop's tests (an unpublished crate): one copy of each
//! instead of one per test file.
//!
//! - std alone: a seeded RNG ([`Rng`]), a waker that counts its wakes
//!   ([`CountingWaker`]), drop counters ([`DropCounter`], [`Held`]), an
//!   event log ([`Log`]), a poll counter ([`Polls`]), the message of a
//!   caught panic ([`panic_message`]), a hang guard ([`within`]), a yield
//!   for any executor ([`yields`]) and a tiny deterministic executor
//!   ([`Sim`]) for the primitives' unit tests;
//! - with the `evloop` feature: a loop with a paused clock (`paused`),
//!   seeded random cancellation of many tasks (`cancel_randomly`) and an
//!   example of `examples/` run as a child process (`Example`).

mod drops;
mod log;
mod panic;
mod polls;
mod rng;
mod sim;
mod waker;
mod within;
mod yields;

#[cfg(feature = "evloop")]
mod example;
#[cfg(feature = "evloop")]
mod on_loop;

pub use drops::{counter, DropCounter, DropProbe, Held, OnDrop};
pub use log::Log;
pub use panic::panic_message;
pub use polls::Polls;
pub use rng::Rng;
pub use sim::Sim;
pub use waker::{CountingWaker, WakeCount};
pub use within::within;
pub use yields::yields;

#[cfg(feature = "evloop")]
pub use example::{Example, LIMIT};
#[cfg(feature = "evloop")]
pub use on_loop::{cancel_randomly, paused, Outcome};
