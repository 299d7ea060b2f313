//! What the loop thread is running right now, published for the stall
//! watchdog (`watchdog.rs`) in one atomic word.
//!
//! The word packs a 16-bit run number, the address of the task cell or
//! callback cell being run (48 bits: user-space addresses on the 64-bit
//! targets evloop runs on), and two flag bits the cells' 8-byte alignment
//! leaves free: "running" and "a callback". The loop writes it with one
//! plain store before a poll or a callback (a new run number, the
//! address, running) and one after (running and the address cleared):
//! `Release` stores are plain `mov`s on x86_64.
//!
//! The watchdog thread only compares words: a word with the running bit
//! that stays the same for longer than the threshold is a stall (the run
//! number tells two consecutive polls of one task apart). It never
//! dereferences the address; the loop thread's own signal handler does
//! (`capture.rs`), and only after checking that the word still is the
//! one the watchdog saw — it runs on the loop thread, inside that run, so
//! the cell is kept alive by the frame it interrupted. The run ends when
//! the [`Running`] guard is dropped — after the poll, while unwinding from
//! it, and for a cancelled callback that never ran — so a word with the
//! running bit never names a cell that is gone.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::callback::CallbackCell;
use crate::task::raw::TaskRef;

/// Set while a poll or a callback runs.
const RUNNING: u64 = 0b10;
/// Set when the address is a `CallbackCell`'s.
const CALLBACK: u64 = 0b01;
/// The address bits (the two flags included).
const ADDRESS: u64 = (1 << 48) - 1;

/// What a published word says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Published {
    /// A task's poll; the address of its cell (0 if it did not fit).
    Task(usize),
    /// A callback; the address of its cell (0 if it did not fit).
    Callback(usize),
}

/// Reads a word: `None` between runs.
pub(crate) fn decode(word: u64) -> Option<Published> {
    if word & RUNNING == 0 {
        return None;
    }
    let address = (word & ADDRESS & !(RUNNING | CALLBACK)) as usize;
    Some(match word & CALLBACK {
        0 => Published::Task(address),
        _ => Published::Callback(address),
    })
}

pub(crate) struct Beacon {
    word: AtomicU64,
    /// The main task's id, 0 before it starts.
    main_id: AtomicU64,
    /// The loop thread, for the signal that captures its stack.
    thread: libc::pthread_t,
}

impl Beacon {
    /// A beacon for the calling thread's loop.
    pub(crate) fn new() -> Beacon {
        Beacon {
            word: AtomicU64::new(0),
            main_id: AtomicU64::new(0),
            // SAFETY: pthread_self has no preconditions.
            thread: unsafe { libc::pthread_self() },
        }
    }

    /// A poll of `task` starts; it ends when the guard is dropped.
    #[inline]
    pub(crate) fn begin_task<'a>(&'a self, task: &'a TaskRef) -> Running<'a> {
        self.begin(task.as_raw() as u64)
    }

    /// A callback starts; it ends when the guard is dropped.
    #[inline]
    pub(crate) fn begin_callback<'a>(&'a self, cell: &'a CallbackCell) -> Running<'a> {
        self.begin(cell as *const CallbackCell as u64 | CALLBACK)
    }

    #[inline]
    fn begin(&self, address: u64) -> Running<'_> {
        // An address that does not fit is published as 0: the stall is
        // still reported, without the task's name.
        let address = if address & !ADDRESS == 0 {
            address
        } else {
            address & CALLBACK
        };
        let run = (self.word.load(Ordering::Relaxed) >> 48).wrapping_add(1) << 48;
        self.word.store(run | address | RUNNING, Ordering::Release);
        Running { beacon: self }
    }

    #[inline]
    fn end(&self) {
        let word = self.word.load(Ordering::Relaxed);
        self.word.store(word & !ADDRESS, Ordering::Release);
    }

    /// The published word (module doc).
    #[inline]
    pub(crate) fn word(&self) -> u64 {
        self.word.load(Ordering::Acquire)
    }

    pub(crate) fn set_main_id(&self, id: u64) {
        self.main_id.store(id, Ordering::Relaxed);
    }

    pub(crate) fn main_id(&self) -> u64 {
        self.main_id.load(Ordering::Relaxed)
    }

    pub(crate) fn thread(&self) -> libc::pthread_t {
        self.thread
    }
}

/// A run in progress: dropping it marks it ended. It borrows the task or
/// callback cell, so the cell outlives the word that names it.
pub(crate) struct Running<'a> {
    beacon: &'a Beacon,
}

impl Drop for Running<'_> {
    #[inline]
    fn drop(&mut self) {
        self.beacon.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_runs_differ() {
        let beacon = Beacon::new();
        assert_eq!(decode(beacon.word()), None);
        let first = beacon.begin(0x7f00_1234_5678);
        let w1 = beacon.word();
        assert_eq!(decode(w1), Some(Published::Task(0x7f00_1234_5678)));
        drop(first);
        assert_eq!(decode(beacon.word()), None);
        let again = beacon.begin(0x7f00_1234_5678);
        assert_ne!(beacon.word(), w1, "two polls of one task are two runs");
        drop(again);
        let callback = beacon.begin(0x5555_0000_1000 | CALLBACK);
        assert_eq!(decode(beacon.word()), Some(Published::Callback(0x5555_0000_1000)));
        drop(callback);
        let too_high = beacon.begin(0xffff_8000_0000_1000);
        assert_eq!(decode(beacon.word()), Some(Published::Task(0)));
        drop(too_high);
    }
}
