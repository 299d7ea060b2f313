//! The waiter list: the one queue every primitive in this crate parks its
//! waiting futures on.
//!
//! It is a slab of slots (a `Vec` plus a free list) threaded by a doubly
//! linked FIFO of the slots that are still waiting. A waiting future holds a
//! [`WaiterKey`] (slot index + generation); with it the future can re-register
//! its waker or leave the list in O(1) when it is dropped. The file contains no
//! `unsafe`: links are `u32` indices, not pointers.
//!
//! # Protocol
//!
//! A slot is in one of three states:
//!
//! * **Waiting(waker)** — linked into the FIFO. Created by [`WaiterList::push`].
//! * **Notified(payload)** — unlinked from the FIFO, still owned by its future.
//!   Only the primitive moves a slot here, with [`WaiterList::notify_one`] /
//!   [`WaiterList::notify_n`], which always take the *oldest* waiting slot. The
//!   payload is the unit being handed over: the lock, a permit, a reserved
//!   queue item, a notification, a barrier index.
//! * **Vacant** — on the free list. Only the *owner* of the key frees a slot:
//!   [`WaiterList::poll_notified`] frees it when it returns the payload,
//!   [`WaiterList::remove`] frees it when the future is dropped.
//!
//! Consequences the primitives rely on:
//!
//! * **FIFO**: waiters are notified in the order they were pushed.
//! * **Nobody is woken twice for one unit**: a notified slot is unlinked, so
//!   a second `notify_*` skips it; the payload is given exactly once.
//! * **Hand-off survives cancellation**: a future dropped after it was
//!   notified gets its payload back from [`WaiterList::remove`], and the
//!   primitive passes it on (to the next waiter, or back to its free pool).
//! * **Keys are never stale**: a slot is freed only through its own key, and a
//!   key is neither `Clone` nor `Copy`, so a slot cannot be reused while a key
//!   for it exists. The generation is a debug check of that rule.
//! * **Memory after a burst**: once the last slot of a list that grew past
//!   4096 slots is freed, no key exists, so the list drops its slots and
//!   starts afresh (a burst of ten thousand lock waiters does not keep its
//!   peak; a list that stays small never reallocates).
//!
//! # Cost (measured)
//!
//! callgrind, instructions per acquire + yield + release round of the
//! `semaphore_1000_tasks` benchmark: the list and the semaphore took ~250 of
//! the round's ~850, now ~150 of ~760 (the rest is the loop: two polls and
//! two wakes). What paid: no drop glue on the hot paths (a vacant slot's old
//! state is forgotten, not dropped), cold code out of line (the slab growing,
//! the reset after a burst, a waker re-registered), and an empty free list or
//! FIFO end found by the bounds check itself (`NIL` is never a valid index).
//! `push` stays out of line on purpose: inlined, it made the uncontended
//! `Lock` cost 87 instructions per lock/unlock instead of 54, because the
//! fast path then saved the registers only the slow one needs.
//!
//! # Re-entrancy
//!
//! The slab sits in a `RefCell`. No waker is woken or dropped while it is
//! borrowed: `notify_one` *returns* the waker so the caller can first finish
//! updating its own counters and then wake (a waker may, on some executors,
//! drop or even poll another future that touches this list). `notify_n`
//! releases the borrow before each wake. Cloning a waker under the borrow is
//! allowed (a clone does not run user code).
use std::cell::RefCell;
use std::fmt;
use std::mem;
use std::task::{Poll, Waker};

/// "No slot": the end of a link, or an empty free list.
const NIL: u32 = u32::MAX;

/// A FIFO of parked wakers with an optional hand-off payload per waiter.
pub(crate) struct WaiterList<T> {
    slab: RefCell<Slab<T>>,
}

/// The right to one slot of a [`WaiterList`]; owned by exactly one future.
#[derive(Debug)]
pub(crate) struct WaiterKey {
    index: u32,
    generation: u32,
}

struct Slab<T> {
    slots: Vec<Slot<T>>,
    head: u32,
    tail: u32,
    free: u32,
    waiting: usize,
    /// Slots not vacant: waiting or notified, each owned by one key.
    occupied: usize,
}

/// A list that held more waiters than this gives its memory back once the
/// last one is gone (no key is left, so no generation needs keeping).
const KEEP_SLOTS: usize = 4096;

struct Slot<T> {
    generation: u32,
    prev: u32,
    /// Next waiting slot while `Waiting`; next free slot while `Vacant`.
    next: u32,
    state: State<T>,
}

enum State<T> {
    Vacant,
    Waiting(Waker),
    Notified(T),
}

impl<T> Slab<T> {
    fn slot(&mut self, key: &WaiterKey) -> &mut Slot<T> {
        let slot = &mut self.slots[key.index as usize];
        debug_assert_eq!(slot.generation, key.generation, "stale waiter key");
        slot
    }

    /// Takes a vacant slot for `waker` (from the free list, or a new one) and
    /// links it at the back of the FIFO.
    #[inline]
    fn push_back(&mut self, waker: Waker) -> WaiterKey {
        // `NIL` is never a valid index, so an empty free list (or an empty
        // FIFO below) is simply a failed `get_mut`: one compare, no separate
        // NIL test.
        let index = self.free;
        let tail = self.tail;
        let generation = match self.slots.get_mut(index as usize) {
            Some(slot) => {
                self.free = slot.next;
                slot.prev = tail;
                slot.next = NIL;
                // A free slot is vacant: nothing to drop. Forgetting the old
                // state rather than assigning over it spares the drop glue (a
                // test, a call, an unwind path): measured 12 instructions of
                // a semaphore's acquire/release round.
                let vacant = mem::replace(&mut slot.state, State::Waiting(waker));
                debug_assert!(matches!(vacant, State::Vacant));
                mem::forget(vacant);
                slot.generation
            }
            None => return self.grow(waker),
        };
        self.link_after_tail(index);
        WaiterKey { index, generation }
    }

    /// The slow path of [`Slab::push_back`]: the free list is empty.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, waker: Waker) -> WaiterKey {
        let index = u32::try_from(self.slots.len())
            .ok()
            .filter(|&i| i != NIL)
            .expect("too many waiters on one primitive");
        self.slots.push(Slot {
            generation: 0,
            prev: self.tail,
            next: NIL,
            state: State::Waiting(waker),
        });
        self.link_after_tail(index);
        WaiterKey { index, generation: 0 }
    }

    /// Makes `index` (already pointing back at the old tail) the new tail.
    #[inline]
    fn link_after_tail(&mut self, index: u32) {
        let tail = mem::replace(&mut self.tail, index);
        match self.slots.get_mut(tail as usize) {
            Some(slot) => slot.next = index,
            None => self.head = index,
        }
        self.waiting += 1;
        self.occupied += 1;
    }

    /// Unlinks the waiting slot `index` from wherever it is in the FIFO.
    fn unlink(&mut self, index: u32) {
        let (prev, next) = {
            let slot = &self.slots[index as usize];
            (slot.prev, slot.next)
        };
        match self.slots.get_mut(prev as usize) {
            Some(slot) => slot.next = next,
            None => self.head = next,
        }
        match self.slots.get_mut(next as usize) {
            Some(slot) => slot.prev = prev,
            None => self.tail = prev,
        }
        self.waiting -= 1;
    }

    /// Unlinks the oldest waiting slot, marks it notified with `payload` and
    /// returns its waker; `Err(payload)` if nobody waits.
    #[inline]
    fn pop_front(&mut self, payload: T) -> Result<Waker, T> {
        let index = self.head;
        let Some(slot) = self.slots.get_mut(index as usize) else {
            return Err(payload);
        };
        // The head has no `prev`: only the link after it changes.
        let next = slot.next;
        let old = mem::replace(&mut slot.state, State::Notified(payload));
        self.head = next;
        match self.slots.get_mut(next as usize) {
            Some(slot) => slot.prev = NIL,
            None => self.tail = NIL,
        }
        self.waiting -= 1;
        match old {
            State::Waiting(waker) => Ok(waker),
            _ => unreachable!("a linked slot is always waiting"),
        }
    }

    /// Puts `index` on the free list and returns what it held.
    #[inline]
    fn free(&mut self, index: u32) -> State<T> {
        let Slab {
            slots, free, occupied, ..
        } = self;
        let slot = &mut slots[index as usize];
        slot.generation = slot.generation.wrapping_add(1);
        slot.next = mem::replace(free, index);
        let state = mem::replace(&mut slot.state, State::Vacant);
        *occupied -= 1;
        if *occupied == 0 && slots.len() > KEEP_SLOTS {
            self.start_afresh();
        }
        state
    }

    /// After a burst: every key is gone, so the slots can go too.
    #[cold]
    #[inline(never)]
    fn start_afresh(&mut self) {
        debug_assert!(self.head == NIL && self.tail == NIL && self.occupied == 0);
        self.slots = Vec::new();
        self.free = NIL;
    }
}

impl<T> WaiterList<T> {
    /// An empty list; allocates nothing until the first waiter.
    pub(crate) const fn new() -> Self {
        WaiterList {
            slab: RefCell::new(Slab {
                slots: Vec::new(),
                head: NIL,
                tail: NIL,
                free: NIL,
                waiting: 0,
                occupied: 0,
            }),
        }
    }

    /// Number of waiters not yet notified.
    pub(crate) fn len(&self) -> usize {
        self.slab.borrow().waiting
    }

    /// True if no waiter is waiting (notified ones do not count).
    pub(crate) fn is_empty(&self) -> bool {
        self.slab.borrow().head == NIL
    }

    /// Parks `waker` at the back of the FIFO.
    ///
    /// Kept out of line: inlined, it made every caller's fast path (a free
    /// lock taken at once) save registers it only needs for the slow one.
    #[inline(never)]
    pub(crate) fn push(&self, waker: Waker) -> WaiterKey {
        self.slab.borrow_mut().push_back(waker)
    }

    /// Checks the waiter behind `key` (which must be `Some`).
    ///
    /// Notified: frees the slot, sets `*key = None` and returns the payload.
    /// Still waiting: stores `waker` if it differs from the stored one and
    /// returns `Pending`.
    #[inline]
    pub(crate) fn poll_notified(&self, key: &mut Option<WaiterKey>, waker: &Waker) -> Poll<T> {
        let k = key.as_ref().expect("poll_notified without a key");
        let index = k.index;
        let mut slab = self.slab.borrow_mut();
        match &slab.slot(k).state {
            State::Notified(_) => {
                *key = None;
                match slab.free(index) {
                    State::Notified(payload) => Poll::Ready(payload),
                    _ => unreachable!(),
                }
            }
            State::Waiting(stored) if stored.will_wake(waker) => Poll::Pending,
            State::Waiting(_) => {
                drop(slab);
                self.replace_waker(index, waker);
                Poll::Pending
            }
            State::Vacant => unreachable!("waiter key points at a vacant slot"),
        }
    }

    /// The rare half of [`WaiterList::poll_notified`]: the future is polled
    /// by a different task than the one that parked it. Kept out of line so
    /// the common path carries no waker clone or drop.
    #[inline(never)]
    fn replace_waker(&self, index: u32, waker: &Waker) {
        let mut slab = self.slab.borrow_mut();
        if let State::Waiting(stored) = &mut slab.slots[index as usize].state {
            let old = mem::replace(stored, waker.clone());
            drop(slab);
            drop(old);
        }
    }

    /// Leaves the list (the owning future is being dropped). Returns the
    /// payload if the waiter had been notified but had not taken it yet: the
    /// caller must pass that unit on. `None` if the key was `None` or the
    /// waiter was still waiting.
    #[inline]
    pub(crate) fn remove(&self, key: &mut Option<WaiterKey>) -> Option<T> {
        // Most futures never waited: answer those without a call.
        let k = key.take()?;
        self.remove_key(k)
    }

    fn remove_key(&self, k: WaiterKey) -> Option<T> {
        let mut slab = self.slab.borrow_mut();
        let waiting = matches!(slab.slot(&k).state, State::Waiting(_));
        if waiting {
            slab.unlink(k.index);
        }
        let state = slab.free(k.index);
        drop(slab);
        match state {
            State::Notified(payload) => Some(payload),
            // The waker (if any) is dropped here, after the borrow ended.
            _ => None,
        }
    }

    /// Hands `payload` to the oldest waiter and returns its waker, which the
    /// caller must wake once its own state is consistent. `Err(payload)` if
    /// nobody is waiting.
    pub(crate) fn notify_one(&self, payload: T) -> Result<Waker, T> {
        self.slab.borrow_mut().pop_front(payload)
    }

    /// Notifies up to `n` of the waiters present now, oldest first, each with
    /// the payload `payload()` returns, and wakes them. Waiters that arrive
    /// while this runs are not counted. Returns how many were notified.
    pub(crate) fn notify_n(&self, n: usize, mut payload: impl FnMut() -> T) -> usize {
        let n = n.min(self.len());
        for done in 0..n {
            let popped = {
                let mut slab = self.slab.borrow_mut();
                if slab.head == NIL {
                    return done;
                }
                slab.pop_front(payload())
            };
            if let Ok(waker) = popped {
                waker.wake();
            }
        }
        n
    }

    /// Notifies every waiter present now (see [`WaiterList::notify_n`]).
    pub(crate) fn notify_all(&self, payload: impl FnMut() -> T) -> usize {
        self.notify_n(usize::MAX, payload)
    }
}

impl<T> fmt::Debug for WaiterList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.slab.try_borrow() {
            Ok(slab) => f.debug_struct("WaiterList").field("waiting", &slab.waiting).finish(),
            Err(_) => f.debug_struct("WaiterList").finish_non_exhaustive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::CountingWaker;

    #[test]
    fn fifo_order_and_removal() {
        let list = WaiterList::<u32>::new();
        let (w, _) = CountingWaker::pair();
        let mut a = Some(list.push(w.clone()));
        let mut b = Some(list.push(w.clone()));
        let mut c = Some(list.push(w.clone()));
        assert_eq!(list.len(), 3);
        assert_eq!(list.remove(&mut b), None);
        assert!(b.is_none());
        assert_eq!(list.len(), 2);
        list.notify_one(1).unwrap();
        list.notify_one(2).unwrap();
        assert_eq!(list.notify_one(3).unwrap_err(), 3);
        assert_eq!(list.poll_notified(&mut c, &w), Poll::Ready(2));
        assert_eq!(list.poll_notified(&mut a, &w), Poll::Ready(1));
        assert!(a.is_none() && c.is_none());
        assert!(list.is_empty());
    }

    #[test]
    fn a_burst_of_waiters_gives_its_memory_back_when_the_last_leaves() {
        let list = WaiterList::<usize>::new();
        let (w, _) = CountingWaker::pair();
        let mut keys: Vec<Option<WaiterKey>> = (0..10_000).map(|_| Some(list.push(w.clone()))).collect();
        assert!(list.slab.borrow().slots.len() >= 10_000);
        // Half are notified and take their payload, half leave (cancelled).
        for i in 0..5_000 {
            list.notify_one(i).unwrap();
        }
        for (i, key) in keys.iter_mut().enumerate() {
            if i < 5_000 {
                assert_eq!(list.poll_notified(key, &w), Poll::Ready(i));
            } else {
                assert_eq!(list.remove(key), None);
            }
        }
        assert_eq!(list.slab.borrow().slots.len(), 0, "all gone: the slots were released");
        // The list works as new afterwards.
        let mut again = Some(list.push(w.clone()));
        list.notify_one(7).unwrap();
        assert_eq!(list.poll_notified(&mut again, &w), Poll::Ready(7));
        // A small list keeps its slots.
        let mut few: Vec<_> = (0..10).map(|_| Some(list.push(w.clone()))).collect();
        for key in &mut few {
            list.remove(key);
        }
        assert!(list.slab.borrow().slots.len() >= 10);
    }

    #[test]
    fn notified_then_removed_returns_payload() {
        let list = WaiterList::<&str>::new();
        let (w, count) = CountingWaker::pair();
        let mut a = Some(list.push(w.clone()));
        let mut b = Some(list.push(w.clone()));
        list.notify_one("unit").unwrap().wake();
        assert_eq!(count.get(), 1);
        assert_eq!(list.remove(&mut a), Some("unit"));
        // pass it on
        list.notify_one("unit").unwrap().wake();
        assert_eq!(count.get(), 2);
        assert_eq!(list.poll_notified(&mut b, &w), Poll::Ready("unit"));
    }

    #[test]
    fn slots_are_reused_and_links_stay_consistent() {
        let list = WaiterList::<usize>::new();
        let (w, _) = CountingWaker::pair();
        let mut keys: Vec<Option<WaiterKey>> = (0..8).map(|_| Some(list.push(w.clone()))).collect();
        for i in [0usize, 3, 7, 5] {
            list.remove(&mut keys[i]);
        }
        for _ in 0..4 {
            keys.push(Some(list.push(w.clone())));
        }
        assert_eq!(list.slab.borrow().slots.len(), 8);
        let woke = list.notify_all({
            let mut i = 0;
            move || {
                i += 1;
                i
            }
        });
        assert_eq!(woke, 8);
        let order: Vec<usize> = [1usize, 2, 4, 6, 8, 9, 10, 11]
            .iter()
            .map(|&i| match list.poll_notified(&mut keys[i], &w) {
                Poll::Ready(v) => v,
                Poll::Pending => panic!("not notified"),
            })
            .collect();
        assert_eq!(order, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn re_register_replaces_waker() {
        let list = WaiterList::<()>::new();
        let (w1, c1) = CountingWaker::pair();
        let (w2, c2) = CountingWaker::pair();
        let mut k = Some(list.push(w1));
        assert!(list.poll_notified(&mut k, &w2).is_pending());
        list.notify_one(()).unwrap().wake();
        assert_eq!((c1.get(), c2.get()), (0, 1));
        assert!(list.poll_notified(&mut k, &w2).is_ready());
    }

    /// Random pushes, notifications, removals (from any position, waiting
    /// or notified) and polls against a `VecDeque` model: every payload
    /// reaches the waiter the FIFO says, and the links never break.
    #[test]
    fn random_operations_match_a_fifo_model() {
        use evloop_test_support::Rng;
        use std::collections::{HashMap, VecDeque};
        for seed in 0..40 {
            let list = WaiterList::<u64>::new();
            let (w, _) = CountingWaker::pair();
            let mut rng = Rng::new(seed);
            let mut keys: Vec<(u64, Option<WaiterKey>)> = Vec::new();
            let mut waiting: VecDeque<u64> = VecDeque::new();
            let mut given: HashMap<u64, u64> = HashMap::new();
            let (mut next_id, mut next_payload) = (0u64, 1000u64);
            for step in 0..3000 {
                match rng.below(6) {
                    0 | 1 => {
                        keys.push((next_id, Some(list.push(w.clone()))));
                        waiting.push_back(next_id);
                        next_id += 1;
                    }
                    2 => {
                        let payload = next_payload;
                        next_payload += 1;
                        match (list.notify_one(payload), waiting.pop_front()) {
                            (Ok(_), Some(id)) => {
                                given.insert(id, payload);
                            }
                            (Err(p), None) => assert_eq!(p, payload),
                            (got, want) => panic!("seed {seed} step {step}: {got:?} but the model has {want:?}"),
                        }
                    }
                    3 if rng.chance(30) => {
                        let n = rng.below(4);
                        let expect = n.min(waiting.len());
                        let woke = list.notify_n(n, || {
                            next_payload += 1;
                            next_payload
                        });
                        assert_eq!(woke, expect, "seed {seed} step {step}");
                        for p in (next_payload + 1 - expect as u64)..=next_payload {
                            given.insert(waiting.pop_front().unwrap(), p);
                        }
                    }
                    4 if !keys.is_empty() => {
                        let (id, mut key) = keys.swap_remove(rng.below(keys.len()));
                        waiting.retain(|&w| w != id);
                        assert_eq!(list.remove(&mut key), given.remove(&id), "seed {seed} step {step}");
                        assert!(key.is_none());
                    }
                    5 if !keys.is_empty() => {
                        let at = rng.below(keys.len());
                        let id = keys[at].0;
                        match list.poll_notified(&mut keys[at].1, &w) {
                            Poll::Ready(p) => {
                                assert_eq!(given.remove(&id), Some(p), "seed {seed} step {step}");
                                keys.swap_remove(at);
                            }
                            Poll::Pending => assert!(waiting.contains(&id), "seed {seed} step {step}"),
                        }
                    }
                    _ => {}
                }
                assert_eq!(list.len(), waiting.len(), "seed {seed} step {step}");
                assert_eq!(list.is_empty(), waiting.is_empty(), "seed {seed} step {step}");
            }
            for (_, key) in &mut keys {
                list.remove(key);
            }
            assert_eq!(list.slab.borrow().occupied, 0, "seed {seed}: every slot is free again");
        }
    }
}
