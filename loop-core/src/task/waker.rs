//! The task waker: a [`TaskAddress`] packed into the waker's data word.
//!
//! # Protocol
//!
//! A `std::task::Waker` is a data pointer plus a vtable. evloop's data word
//! is not a pointer at all: it is the task's address, packed as
//! `address.rs` lays it out. So:
//!
//! * cloning a waker copies a word and dropping it does nothing: no
//!   allocation, no reference count, no atomic;
//! * `wake` on the loop's own thread while that loop is running finds the
//!   loop through a thread-local (`context.rs`) and schedules the task,
//!   pushing it onto the run queue unless it is already queued;
//! * `wake` anywhere else (another thread, or the loop is not running) goes
//!   through the registry to the loop's remote inbox (`remote/`), which
//!   wakes the loop's `mio::Waker` if it may be asleep;
//! * a stale waker (the task finished, its slot was reused) names an address
//!   that no longer matches: it is ignored, or at worst causes one spurious
//!   poll (see `address.rs`).
//!
//! The data word is never dereferenced, which is what makes the vtable
//! functions trivially sound.

use std::task::{RawWaker, RawWakerVTable, Waker};

use super::address::TaskAddress;

impl TaskAddress {
    /// The waker for the task at this address.
    #[cfg(test)]
    pub(crate) fn waker(self) -> Waker {
        // SAFETY: the vtable functions never dereference the data word and
        // are all thread-safe (a remote wake goes through a channel).
        unsafe { Waker::from_raw(raw(self.pack())) }
    }

    /// The address `waker` names, if it is an evloop task waker.
    #[cfg(test)]
    pub(crate) fn of(waker: &Waker) -> Option<TaskAddress> {
        (waker.vtable() == &VTABLE).then(|| TaskAddress::unpack(waker.data().addr()))
    }
}

/// The waker whose data word is `packed` (a [`TaskAddress::pack`]), for the
/// scheduler's poll. Dropping a task waker does nothing, so this one is
/// never dropped, which saves the indirect call to the no-op `drop` on
/// every poll.
#[inline]
pub(crate) fn poll_waker(packed: usize) -> std::mem::ManuallyDrop<Waker> {
    // SAFETY: the vtable functions never dereference the data word and are
    // all thread-safe (a remote wake goes through a channel).
    std::mem::ManuallyDrop::new(unsafe { Waker::from_raw(raw(packed)) })
}

/// Whether `waker` is the waker whose data word is `packed` (a
/// [`TaskAddress::pack`]).
#[inline]
pub(crate) fn is_task_waker(packed: usize, waker: &Waker) -> bool {
    waker.data().addr() == packed && waker.vtable() == &VTABLE
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop_waker);

fn raw(word: usize) -> RawWaker {
    RawWaker::new(std::ptr::without_provenance(word), &VTABLE)
}

fn clone(data: *const ()) -> RawWaker {
    raw(data.addr())
}

fn wake(data: *const ()) {
    crate::context::wake(TaskAddress::unpack(data.addr()));
}

fn drop_waker(_: *const ()) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakers_carry_their_address_and_clones_are_equal() {
        let t = TaskAddress {
            loop_index: 0xBEEF,
            slot: 7,
            generation: 3,
        };
        let w = t.waker();
        let w2 = w.clone();
        assert!(w.will_wake(&w2));
        assert_eq!(TaskAddress::of(&w2), Some(t));
        let other = TaskAddress { slot: 3, ..t }.waker();
        assert!(!w.will_wake(&other));
        assert_eq!(TaskAddress::of(Waker::noop()), None);
    }
}
