//! `WokenList`: one waker per child, so that a wake polls only that child
//! (the list of children woken since the parent last looked).
//!
//! Composing futures over many children (`gather`, `try_gather`,
//! `as_completed`, `wait`) must not rescan every child on every wake, or
//! 100,000 children cost 10^10 polls. Instead each child is polled with a
//! waker of its own, which names the child's index; waking it pushes that
//! index on a shared list, and the composing future (the *parent*) polls
//! exactly the indices it finds there.
//!
//! # Protocol
//!
//! * [`Shared`] lives in an `Arc` and holds one [`Node`] per child, in a
//!   boxed slice that never moves or grows. A child's waker is a
//!   `std::task::Waker` whose data pointer is the address of its node; every
//!   node points back at its `Shared`. A cloned waker owns one strong count
//!   of that `Arc` (taken in `clone`, given back in `drop` and `wake`), so the
//!   node outlives every waker that names it.
//! * The parent polls a child with a *borrowed* waker ([`WokenList::poll_with`]):
//!   built on the stack from the node's address, never dropped (so it takes
//!   and returns no count) and valid because the parent itself holds the
//!   `Arc` for the whole poll.
//! * The list is a Treiber stack of indices threaded through `Node::next`,
//!   with `Shared::head` as its top and `NIL` as its end. Wakers only ever
//!   *push*; the parent only ever takes the *whole* list (`swap(NIL)`), so
//!   the ABA problem of a popping stack cannot arise.
//! * `Node::queued` keeps an index on the list at most once. A waker sets it
//!   (swap true) and pushes only if it was clear; the parent clears it (swap
//!   false) when it takes the list, *before* it polls the child, so a wake
//!   that lands during or after that poll is recorded again. Both sides use
//!   read-modify-write operations with acquire-release ordering, so whatever
//!   a waker's thread did before waking is visible to the poll that follows.
//! * The push that finds the list empty wakes the parent, through the waker
//!   it registered at the start of its poll (a `Mutex`, touched once per
//!   empty-to-non-empty transition and when the parent's waker changes).
//!
//! Everything is thread-safe, so a child may be woken from any thread (a
//! blocking-pool job, a remote task); on the loop thread a wake costs two
//! uncontended atomic read-modify-writes and no allocation.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

/// The end of the list.
const NIL: u32 = u32::MAX;

struct Node {
    /// The `Shared` that owns this node; never changes.
    shared: *const Shared,
    index: u32,
    next: AtomicU32,
    queued: AtomicBool,
}

struct Shared {
    head: AtomicU32,
    parent: Mutex<Option<Waker>>,
    nodes: Box<[Node]>,
}

// SAFETY: the only field that is not `Send + Sync` by itself is
// `Node::shared`, a pointer to the `Shared` that owns the node, written once
// at construction and only read afterwards (to reach `head` and `parent`,
// which are atomics and a mutex).
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    fn push(&self, index: u32) {
        let node = &self.nodes[index as usize];
        if node.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            node.next.store(head, Ordering::Relaxed);
            match self
                .head
                .compare_exchange_weak(head, index, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => head = actual,
            }
        }
        if head == NIL {
            let parent = self.parent.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(parent) = parent {
                parent.wake();
            }
        }
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// # Safety
/// `data` is the address of a `Node` whose `Shared` is kept alive by the
/// caller (a borrowed waker during the parent's poll) or by this waker's own
/// strong count (a cloned waker).
unsafe fn node<'a>(data: *const ()) -> &'a Node {
    // SAFETY: guaranteed by the caller (see above).
    unsafe { &*data.cast::<Node>() }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the node alive (see `node`).
    let node = unsafe { node(data) };
    // SAFETY: `node.shared` came from a live `Arc<Shared>` (the one this
    // waker's count or the parent's borrow keeps alive); the new waker owns
    // the new count.
    unsafe { Arc::increment_strong_count(node.shared) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `wake` consumes a cloned waker, which owns a count.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker keeps the node and its `Shared` alive.
    let node = unsafe { node(data) };
    // SAFETY: as above; `Shared` is `Sync`.
    let shared = unsafe { &*node.shared };
    shared.push(node.index);
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: only cloned wakers are ever dropped (the parent's borrowed
    // wakers are `ManuallyDrop`), and each owns one count.
    unsafe {
        let node = node(data);
        Arc::decrement_strong_count(node.shared);
    }
}

/// The parent's side: per-child wakers and the list of woken children.
pub(crate) struct WokenList {
    shared: Arc<Shared>,
    /// The waker last registered, to skip the mutex when it has not changed.
    registered: Option<Waker>,
}

impl WokenList {
    /// A list for `n` children, indices `0..n`.
    ///
    /// # Panics
    /// If `n` does not fit below `u32::MAX`.
    pub(crate) fn new(n: usize) -> WokenList {
        assert!(n < NIL as usize, "evloop: too many futures in one set ({n})");
        let shared = Arc::new_cyclic(|weak| {
            let me = weak.as_ptr();
            Shared {
                head: AtomicU32::new(NIL),
                parent: Mutex::new(None),
                nodes: (0..n as u32)
                    .map(|index| Node {
                        shared: me,
                        index,
                        next: AtomicU32::new(NIL),
                        queued: AtomicBool::new(false),
                    })
                    .collect(),
            }
        });
        WokenList {
            shared,
            registered: None,
        }
    }

    /// Remembers the parent's waker: the next push onto an empty list wakes it.
    pub(crate) fn register(&mut self, waker: &Waker) {
        if self.registered.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return;
        }
        self.registered = Some(waker.clone());
        *self.shared.parent.lock().unwrap_or_else(|p| p.into_inner()) = Some(waker.clone());
    }

    /// Forgets the parent's waker (the parent is done).
    pub(crate) fn unregister(&mut self) {
        if self.registered.take().is_some() {
            *self.shared.parent.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    /// Takes every index woken since the last take, in wake order, appending
    /// them to `out`.
    pub(crate) fn take_into(&self, out: &mut Vec<u32>) {
        let mut cur = self.shared.head.swap(NIL, Ordering::AcqRel);
        let start = out.len();
        while cur != NIL {
            let node = &self.shared.nodes[cur as usize];
            let next = node.next.load(Ordering::Relaxed);
            // Clear before the child is polled: a wake from now on queues it again.
            node.queued.swap(false, Ordering::AcqRel);
            out.push(cur);
            cur = next;
        }
        // The stack hands them back newest first.
        out[start..].reverse();
    }

    /// True if some child was woken and not yet taken.
    #[cfg(test)]
    fn has_ready(&self) -> bool {
        self.shared.head.load(Ordering::Acquire) != NIL
    }

    /// Runs `f` with a context whose waker names child `index`.
    #[inline]
    pub(crate) fn poll_with<R>(&self, index: usize, f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let node: *const Node = &self.shared.nodes[index];
        // SAFETY: the data pointer is a node of `self.shared`, which `self`
        // keeps alive for this whole call; the waker is never dropped (it owns
        // no count), and a clone the child keeps takes a count of its own.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(node.cast(), &VTABLE)) });
        f(&mut Context::from_waker(&waker))
    }

    /// Wakes child `index` as its own waker would (for tests).
    #[cfg(test)]
    fn wake(&self, index: usize) {
        self.poll_with(index, |cx| cx.waker().wake_by_ref());
    }
}

impl std::fmt::Debug for WokenList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WokenList")
            .field("children", &self.shared.nodes.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct CountWakes(AtomicUsize);
    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wakes_are_deduplicated_kept_in_order_and_wake_the_parent_once() {
        let parent = Arc::new(CountWakes(AtomicUsize::new(0)));
        let mut list = WokenList::new(5);
        list.register(&Waker::from(parent.clone()));
        list.wake(3);
        list.wake(1);
        list.wake(3);
        list.wake(4);
        assert_eq!(
            parent.0.load(Ordering::SeqCst),
            1,
            "only the first push wakes the parent"
        );
        let mut out = Vec::new();
        list.take_into(&mut out);
        assert_eq!(out, [3, 1, 4]);
        assert!(!list.has_ready());
        list.wake(3);
        assert_eq!(parent.0.load(Ordering::SeqCst), 2);
        out.clear();
        list.take_into(&mut out);
        assert_eq!(out, [3]);
    }

    #[test]
    fn cloned_wakers_keep_the_list_alive_and_work_from_other_threads() {
        let mut list = WokenList::new(3);
        let parent = Arc::new(CountWakes(AtomicUsize::new(0)));
        list.register(&Waker::from(parent.clone()));
        let wakers: Vec<Waker> = (0..3).map(|i| list.poll_with(i, |cx| cx.waker().clone())).collect();
        assert!(wakers[0].will_wake(&wakers[0].clone()));
        assert!(!wakers[0].will_wake(&wakers[1]));
        let w2 = wakers[2].clone();
        std::thread::spawn(move || w2.wake()).join().unwrap();
        let mut out = Vec::new();
        list.take_into(&mut out);
        assert_eq!(out, [2]);
        list.unregister();
        drop(list);
        // The list is gone; the wakers still own the nodes and may fire.
        for w in wakers {
            w.wake();
        }
        assert_eq!(parent.0.load(Ordering::SeqCst), 1);
    }
}
