//! What the loop thread is running right now, published for the stall
//! watchdog (`watchdog.rs`).
//!
//! The loop writes, with plain stores (`Release` is a plain `mov` on
//! x86_64):
//!
//! * before a poll or a callback: `running`, a tagged pointer to the task
//!   cell or the callback cell, then `state = 2n + 1` for the n-th run;
//! * after it: `state = 2n + 2`, when the [`Running`] guard is dropped —
//!   also when the run unwinds, and whether or not a cancelled callback
//!   ran at all — so an odd state never names a cell that is gone.
//!
//! The watchdog thread only ever reads `state`: an odd value that stays the
//! same for longer than the threshold is a stall. It never dereferences
//! `running`; the loop thread's own signal handler does (`stack.rs`), and
//! only after checking that `state` still names the run the watchdog saw —
//! it runs on the loop thread, in the middle of that run, so the cell the
//! pointer names is kept alive by the frame it interrupted.

use std::cell::Cell;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::callback::CallbackCell;
use crate::task::raw::TaskRef;

/// The low bit of `running`: the pointer is a `CallbackCell`, not a task.
pub(crate) const CALLBACK_TAG: usize = 1;

pub(crate) struct Beacon {
    /// 2n + 1 while the n-th poll or callback runs; even between them.
    state: AtomicU64,
    /// The task cell (untagged) or callback cell (tagged) being run.
    running: AtomicPtr<()>,
    /// The main task's id, 0 before it starts.
    main_id: AtomicU64,
    /// Runs so far; only the loop thread touches it.
    count: LoopOnly,
    /// The loop thread, for the signal that captures its stack.
    #[cfg(unix)]
    thread: libc::pthread_t,
}

/// A counter only the loop thread reads and writes.
struct LoopOnly(Cell<u64>);

// SAFETY: the `Beacon` is shared with the watchdog thread through an `Arc`,
// but `count` is only ever touched by the loop thread (`begin`/`end`), which
// is the thread that created the beacon.
unsafe impl Sync for LoopOnly {}

impl Beacon {
    /// A beacon for the calling thread's loop.
    pub(crate) fn new() -> Beacon {
        Beacon {
            state: AtomicU64::new(0),
            running: AtomicPtr::new(std::ptr::null_mut()),
            main_id: AtomicU64::new(0),
            count: LoopOnly(Cell::new(0)),
            // SAFETY: pthread_self has no preconditions.
            #[cfg(unix)]
            thread: unsafe { libc::pthread_self() },
        }
    }

    /// A poll of `task` starts; it ends when the guard is dropped, also
    /// if the poll unwinds, so `running` never outlives the cell's owner.
    #[inline]
    pub(crate) fn begin_task<'a>(&'a self, task: &'a TaskRef) -> Running<'a> {
        self.begin(task.as_raw().cast_mut())
    }

    /// A callback starts; it ends when the guard is dropped.
    #[inline]
    pub(crate) fn begin_callback<'a>(&'a self, cell: &'a CallbackCell) -> Running<'a> {
        let tagged = (cell as *const CallbackCell as usize) | CALLBACK_TAG;
        self.begin(tagged as *mut ())
    }

    #[inline]
    fn begin(&self, running: *mut ()) -> Running<'_> {
        let n = self.count.0.get();
        self.running.store(running, Ordering::Release);
        self.state.store(2 * n + 1, Ordering::Release);
        Running { beacon: self }
    }

    /// The poll or callback that began last has ended.
    #[inline]
    fn end(&self) {
        let n = self.count.0.get() + 1;
        self.count.0.set(n);
        self.state.store(2 * n, Ordering::Release);
    }

    /// Odd while something runs (see the module doc).
    pub(crate) fn state(&self) -> u64 {
        self.state.load(Ordering::Acquire)
    }

    /// The tagged pointer of what runs; only for the loop thread's signal
    /// handler (module doc).
    pub(crate) fn running(&self) -> *mut () {
        self.running.load(Ordering::Acquire)
    }

    pub(crate) fn set_main_id(&self, id: u64) {
        self.main_id.store(id, Ordering::Relaxed);
    }

    pub(crate) fn main_id(&self) -> u64 {
        self.main_id.load(Ordering::Relaxed)
    }

    #[cfg(unix)]
    pub(crate) fn thread(&self) -> libc::pthread_t {
        self.thread
    }
}

/// A run in progress: dropping it (at the end of the poll, or while
/// unwinding from it) marks it ended. It borrows the task or callback cell,
/// so the cell outlives the odd state that names it.
pub(crate) struct Running<'a> {
    beacon: &'a Beacon,
}

impl Drop for Running<'_> {
    #[inline]
    fn drop(&mut self) {
        self.beacon.end();
    }
}
