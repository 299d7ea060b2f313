//! A hierarchical timer wheel with microsecond ticks.
//!
//! Deadlines are `u64` microseconds since the loop's clock origin. The wheel
//! has `LEVELS` levels of 64 slots; a slot at level `L` spans `64^L` µs, so
//! level 0 holds timers due within the current 64 µs block, level 1 within
//! the current 4 ms block, level 2 within 262 ms, and so on up to about
//! 36,000 years at level 9.
//!
//! A timer is placed at the level of the highest 6-bit digit in which its
//! deadline differs from `elapsed` (the wheel's notion of now). That gives the
//! invariant everything rests on: every timer at level `L` is due after every
//! timer at a level below `L`, so the earliest timer is always in the first
//! occupied slot of the lowest occupied level. When time reaches a slot at
//! level `L > 0`, its timers are re-inserted relative to the new `elapsed`
//! ("cascaded") and land at lower levels; timers only fire from level 0,
//! whose slots are exactly one microsecond wide — so timers fire in
//! deadline order, and insertion order among equal deadlines.
//!
//! Timers live in a slab of nodes linked into doubly linked per-slot lists,
//! so insert and cancel are O(1), and a cancelled timer leaves nothing
//! behind: its node is free for the next timer, and once a burst is over the
//! node store gives its memory back (`trim`, called by the
//! loop every few thousand ticks, as for the task slab: trailing free nodes
//! cut, the free list sorted so the lowest nodes are reused first). Each
//! node carries a generation so a stale [`TimerKey`] is inert; the
//! generations of cut nodes live on in `fresh_generation`.
//!
//! # Staged timers
//!
//! A timer armed as "`d` from now" ([`Wheel::insert_after`]) does not need
//! the clock when it is armed: it is *staged* — given a node, kept off the
//! levels with only its delay — until [`Wheel::settle`] links every staged
//! timer at `now + delay` with one `now` for all of them. The loop settles
//! at the end of each run step (`timers.rs`), so a tick that arms a
//! thousand timeouts reads the clock once, not a thousand times (a clock
//! read costs about as much as the rest of a timeout). A staged timer can
//! be removed like any other; it is never due before it is settled.

use crate::trim;

const LEVELS: usize = 10;
/// Bits of a deadline each level resolves: 64 slots per level.
const LEVEL_BITS: u32 = 6;
const SLOTS: usize = 1 << LEVEL_BITS;
/// Deadlines are clamped to this (about 36,000 years of microseconds).
pub(crate) const MAX_DEADLINE: u64 = (1 << (LEVEL_BITS as usize * LEVELS)) - 1;
const NIL: u32 = u32::MAX;
/// `Node::level` of a staged timer (module doc): on no level yet.
const STAGED: u8 = u8::MAX;

impl<T> trim::StoreEntry for Node<T> {
    fn is_free(&self) -> bool {
        self.payload.is_none()
    }
    fn generation(&self) -> u32 {
        self.generation
    }
}

/// Names one armed timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    generation: u32,
}

struct Node<T> {
    /// The deadline; while staged, the delay.
    when: u64,
    prev: u32,
    next: u32,
    generation: u32,
    level: u8,
    slot: u8,
    /// `Some` while the node is armed.
    payload: Option<T>,
}

struct Level {
    occupied: u64,
    heads: [u32; SLOTS],
    tails: [u32; SLOTS],
}

/// The wheel; `T` is what a timer carries (a waker or a callback).
pub(crate) struct Wheel<T> {
    elapsed: u64,
    levels: [Level; LEVELS],
    nodes: Vec<Node<T>>,
    /// Free nodes; popped from the end.
    free: Vec<u32>,
    /// Every node from here on is free and on no list: new timers take them
    /// in order before the store grows.
    unused_from: u32,
    len: usize,
    /// The generation a newly created node starts at.
    fresh_generation: u32,
    /// The most timers armed at once since the last `trim`.
    peak: usize,
    /// Staged nodes, in arming order (module doc); may name nodes removed
    /// since, which `settle` skips.
    staged: Vec<u32>,
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Wheel {
            elapsed: 0,
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                heads: [NIL; SLOTS],
                tails: [NIL; SLOTS],
            }),
            nodes: Vec::new(),
            free: Vec::new(),
            unused_from: 0,
            len: 0,
            fresh_generation: 0,
            peak: 0,
            staged: Vec::new(),
        }
    }

    /// The wheel's notion of now: the time of the last `advance`. A
    /// deadline at or before it is already due.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// An empty wheel's notion of now goes stale (the tick only reads the
    /// clock while timers are armed): bring it up to `now`.
    pub(crate) fn catch_up(&mut self, now: u64) {
        debug_assert!(self.is_empty());
        self.elapsed = self.elapsed.max(now.min(MAX_DEADLINE));
    }

    /// Number of armed timers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of node slots allocated (armed or free): the store's size.
    pub(crate) fn capacity(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Arms a timer due at `when` µs (a past deadline fires at the next
    /// `advance`).
    #[inline]
    pub(crate) fn insert(&mut self, when: u64, payload: T) -> TimerKey {
        let when = when.clamp(self.elapsed, MAX_DEADLINE);
        let key = self.new_node(when, payload);
        self.link(key.index);
        key
    }

    /// Arms a timer due `delay` µs after the time the next [`settle`]
    /// is given: it is staged until then (module doc).
    ///
    /// [`settle`]: Self::settle
    #[inline]
    pub(crate) fn insert_after(&mut self, delay: u64, payload: T) -> TimerKey {
        let key = self.new_node(delay, payload);
        self.nodes[key.index as usize].level = STAGED;
        self.staged.push(key.index);
        key
    }

    /// True if timers wait to be settled.
    #[inline]
    pub(crate) fn has_staged(&self) -> bool {
        !self.staged.is_empty()
    }

    /// Links every staged timer still armed at `now + delay`, in the order
    /// they were armed.
    pub(crate) fn settle(&mut self, now: u64) {
        let mut staged = std::mem::take(&mut self.staged);
        for &index in &staged {
            // Removed since (and maybe reused, settled by an earlier entry
            // of this list or armed with a deadline, or cut by `trim`): not
            // staged any more.
            let Some(node) = self.nodes.get_mut(index as usize) else {
                continue;
            };
            if node.level != STAGED || node.payload.is_none() {
                continue;
            }
            node.when = now.saturating_add(node.when).clamp(self.elapsed, MAX_DEADLINE);
            self.link(index);
        }
        staged.clear();
        self.staged = staged;
    }

    /// The deadline of an armed, settled timer.
    pub(crate) fn deadline_of(&self, key: TimerKey) -> Option<u64> {
        let node = &self.nodes[self.node_of(key)?];
        (node.level != STAGED).then_some(node.when)
    }

    /// A node holding `payload`, due at `when`, not linked anywhere yet.
    #[inline(always)]
    fn new_node(&mut self, when: u64, payload: T) -> TimerKey {
        let reused = match self.free.pop() {
            Some(i) => Some(i),
            None if (self.unused_from as usize) < self.nodes.len() => {
                self.unused_from += 1;
                Some(self.unused_from - 1)
            }
            None => None,
        };
        let index = match reused {
            Some(i) => {
                let node = &mut self.nodes[i as usize];
                node.when = when;
                node.payload = Some(payload);
                i
            }
            None => {
                let i = self.nodes.len() as u32;
                assert!(i != NIL, "evloop: too many timers armed at once");
                self.nodes.push(Node {
                    when,
                    prev: NIL,
                    next: NIL,
                    generation: self.fresh_generation,
                    level: 0,
                    slot: 0,
                    payload: Some(payload),
                });
                self.unused_from = i + 1;
                i
            }
        };
        self.len += 1;
        if self.len > self.peak {
            self.peak = self.len;
        }
        TimerKey {
            index,
            generation: self.nodes[index as usize].generation,
        }
    }

    /// Disarms the timer; returns its payload if it was still armed.
    #[inline]
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<T> {
        let i = self.node_of(key)?;
        if self.nodes[i].level != STAGED {
            self.unlink(key.index);
        }
        Some(self.release(key.index))
    }

    /// The payload of an armed timer, for updating it in place.
    #[inline]
    pub(crate) fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let i = self.node_of(key)?;
        self.nodes[i].payload.as_mut()
    }

    /// Whether the timer is still armed (not fired, not removed).
    #[cfg(test)]
    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        self.node_of(key).is_some()
    }

    #[inline]
    fn node_of(&self, key: TimerKey) -> Option<usize> {
        let node = self.nodes.get(key.index as usize)?;
        (node.generation == key.generation && node.payload.is_some()).then_some(key.index as usize)
    }

    /// The time at which `advance` next has work: the exact deadline of the
    /// earliest timer, or the start of the slot that holds it (an earlier,
    /// conservative time at which the slot is cascaded).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        debug_assert!(self.staged.is_empty(), "evloop bug: staged timers not settled");
        self.next_expiration().map(|(_, _, at)| at)
    }

    /// Moves the wheel to `now` µs, appending every timer due at or before
    /// `now` to `fired` as (deadline, payload), in deadline order.
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<(u64, T)>) {
        debug_assert!(self.staged.is_empty(), "evloop bug: staged timers not settled");
        while let Some((level, slot, at)) = self.next_expiration() {
            if at > now {
                break;
            }
            self.elapsed = self.elapsed.max(at);
            let lvl = &mut self.levels[level];
            let mut cur = std::mem::replace(&mut lvl.heads[slot], NIL);
            lvl.tails[slot] = NIL;
            lvl.occupied &= !(1u64 << slot);
            while cur != NIL {
                let next = self.nodes[cur as usize].next;
                if level == 0 {
                    let when = self.nodes[cur as usize].when;
                    fired.push((when, self.release(cur)));
                } else {
                    self.link(cur);
                }
                cur = next;
            }
        }
        self.elapsed = self.elapsed.max(now.min(MAX_DEADLINE));
    }

    fn next_expiration(&self) -> Option<(usize, usize, u64)> {
        if self.len == 0 {
            return None;
        }
        for (level, lvl) in self.levels.iter().enumerate() {
            if lvl.occupied == 0 {
                continue;
            }
            let shift = LEVEL_BITS as usize * level;
            let pos = ((self.elapsed >> shift) as usize) & (SLOTS - 1);
            // By the level invariant no occupied slot lies before `pos`.
            let ahead = lvl.occupied >> pos;
            debug_assert!(ahead != 0, "timer wheel invariant broken at level {level}");
            let slot = pos + ahead.trailing_zeros() as usize;
            let block = shift + LEVEL_BITS as usize;
            let base = if block >= 64 {
                0
            } else {
                self.elapsed & !((1u64 << block) - 1)
            };
            return Some((level, slot, base | ((slot as u64) << shift)));
        }
        None
    }

    #[inline]
    fn link(&mut self, index: u32) {
        let when = self.nodes[index as usize].when;
        let differing = (self.elapsed ^ when) | (SLOTS as u64 - 1);
        let level = ((63 - differing.leading_zeros()) / LEVEL_BITS) as usize;
        let slot = ((when >> (LEVEL_BITS as usize * level)) as usize) & (SLOTS - 1);
        // Append at the tail, so equal deadlines fire in insertion order.
        let lvl = &mut self.levels[level];
        let tail = lvl.tails[slot];
        lvl.tails[slot] = index;
        lvl.occupied |= 1u64 << slot;
        if tail == NIL {
            lvl.heads[slot] = index;
        } else {
            self.nodes[tail as usize].next = index;
        }
        let node = &mut self.nodes[index as usize];
        node.prev = tail;
        node.next = NIL;
        node.level = level as u8;
        node.slot = slot as u8;
    }

    #[inline]
    fn unlink(&mut self, index: u32) {
        let (prev, next, level, slot) = {
            let n = &self.nodes[index as usize];
            (n.prev, n.next, n.level as usize, n.slot as usize)
        };
        let lvl = &mut self.levels[level];
        if prev == NIL {
            lvl.heads[slot] = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            lvl.tails[slot] = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        if lvl.heads[slot] == NIL {
            lvl.occupied &= !(1u64 << slot);
        }
    }

    /// Frees an unlinked node and returns its payload.
    #[inline]
    fn release(&mut self, index: u32) -> T {
        let node = &mut self.nodes[index as usize];
        node.generation = node.generation.wrapping_add(1);
        let payload = node.payload.take().expect("evloop bug: releasing a disarmed timer");
        self.len -= 1;
        if self.len == 0 {
            // Nothing is armed: the next timers take the nodes from the first
            // one on, in order, rather than in the order the last ones were
            // freed — after a burst fired in deadline order, that order jumps
            // across the whole store, a cache miss per timer. In a profile
            // of `sleep_many` (perf, criterion's steady state), arming,
            // first polls, settling and firing went from 60% of its time to
            // 21%. Every staged entry left names a removed timer.
            self.free.clear();
            self.staged.clear();
            self.unused_from = 0;
        } else {
            self.free.push(index);
        }
        payload
    }

    /// Gives back the memory of free nodes if the store is over four times
    /// the most timers armed at once since the last call (module doc).
    #[cold]
    pub(crate) fn trim(&mut self) {
        let peak = std::mem::replace(&mut self.peak, self.len).max(self.len);
        if let Some(cut) = trim::shrink_store(&mut self.nodes, &mut self.free, peak) {
            self.fresh_generation = self.fresh_generation.max(cut);
            self.unused_from = self.unused_from.min(self.nodes.len() as u32);
        }
    }

    /// Disarms every timer, returning the payloads (used at loop close).
    pub(crate) fn drain(&mut self) -> Vec<T> {
        self.settle(self.elapsed);
        let mut out = Vec::with_capacity(self.len);
        self.advance(MAX_DEADLINE, &mut out);
        out.into_iter().map(|(_, payload)| payload).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_timers_count_from_the_settle_time_in_arming_order() {
        let mut w = Wheel::new();
        w.advance(1_000, &mut Vec::new());
        let a = w.insert_after(50, 'a');
        let gone = w.insert_after(10, 'x');
        let b = w.insert_after(50, 'b');
        let c = w.insert(1_040, 'c');
        assert_eq!(w.len(), 4);
        assert_eq!(w.deadline_of(a), None, "not settled yet");
        assert_eq!(w.remove(gone), Some('x'));
        // The freed node is reused by a new staged timer before the settle.
        let d = w.insert_after(5, 'd');
        assert!(w.has_staged());
        w.settle(1_020);
        assert!(!w.has_staged());
        assert_eq!(w.deadline_of(a), Some(1_070));
        assert_eq!(w.deadline_of(b), Some(1_070));
        assert_eq!(w.deadline_of(d), Some(1_025));
        let mut fired = Vec::new();
        w.advance(1_069, &mut fired);
        assert_eq!(fired, vec![(1_025, 'd'), (1_040, 'c')]);
        fired.clear();
        w.advance(2_000, &mut fired);
        assert_eq!(fired, vec![(1_070, 'a'), (1_070, 'b')]);
        assert!(w.is_empty());
        assert!(!w.contains(c));
    }

    #[test]
    fn a_staged_timer_removed_before_the_settle_leaves_nothing() {
        let mut w = Wheel::new();
        let k = w.insert_after(100, ());
        assert_eq!(w.remove(k), Some(()));
        assert_eq!(w.remove(k), None, "a stale key is inert");
        w.settle(0);
        assert!(w.is_empty());
        assert_eq!(w.next_deadline(), None);
        // Reused by a timer with a deadline: the stale staged entry must not
        // link it a second time.
        let k2 = w.insert_after(7, ());
        assert_eq!(w.remove(k2), Some(()));
        let k3 = w.insert(30, ());
        w.settle(0);
        assert_eq!(w.deadline_of(k3), Some(30));
        let mut fired = Vec::new();
        w.advance(100, &mut fired);
        assert_eq!(fired.len(), 1);
        assert!(w.is_empty());
    }

    /// Advances and keeps only the payloads, checking no deadline is late-fired early.
    fn adv<T>(w: &mut Wheel<T>, now: u64, out: &mut Vec<T>) {
        let mut fired = Vec::new();
        w.advance(now, &mut fired);
        for (when, payload) in fired {
            assert!(when <= now.max(w.elapsed()), "fired a timer due at {when} at {now}");
            out.push(payload);
        }
    }

    /// xorshift64*, so the randomized tests are repeatable.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn fires_in_deadline_order_across_levels() {
        let mut w = Wheel::new();
        let deadlines = [5u64, 70, 4_100, 3, 1_000_000, 64, 63, 262_145, 5];
        for (i, &d) in deadlines.iter().enumerate() {
            w.insert(d, i);
        }
        let mut fired = Vec::new();
        adv(&mut w, 10_000_000, &mut fired);
        let got: Vec<u64> = fired.iter().map(|&i| deadlines[i]).collect();
        assert_eq!(got, vec![3, 5, 5, 63, 64, 70, 4_100, 262_145, 1_000_000]);
        // Equal deadlines keep insertion order.
        assert_eq!(&fired[1..3], &[0, 8]);
        assert!(w.is_empty());
    }

    #[test]
    fn nothing_fires_early_and_next_deadline_never_overshoots() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut w = Wheel::new();
        let mut expected = Vec::new();
        for i in 0..5_000u64 {
            let d = rng.next() % 50_000_000;
            w.insert(d, (d, i));
            expected.push((d, i));
        }
        expected.sort();
        let mut now = 0;
        let mut fired = Vec::new();
        while let Some(next) = w.next_deadline() {
            assert!(next >= now, "next deadline went backwards");
            assert!(next <= expected[fired.len()].0, "wheel would wake after a deadline");
            now = next + rng.next() % 3;
            let before = fired.len();
            adv(&mut w, now, &mut fired);
            for &(d, _) in &fired[before..] {
                assert!(d <= now, "fired {d} before its deadline at {now}");
            }
        }
        assert_eq!(fired, expected);
    }

    #[test]
    fn remove_is_exact_and_leaves_nothing_behind() {
        let mut w = Wheel::new();
        let mut fired = Vec::new();
        for round in 0..1_000_000u64 {
            let k = w.insert(round + 10_000_000, round);
            assert_eq!(w.remove(k), Some(round));
            assert_eq!(w.remove(k), None, "a removed key is inert");
            if round % 1000 == 0 {
                adv(&mut w, round, &mut fired);
            }
        }
        assert!(fired.is_empty());
        assert_eq!(w.len(), 0);
        assert!(w.capacity() <= 1, "store grew to {}", w.capacity());
    }

    #[test]
    fn a_cancelled_burst_gives_its_memory_back_and_old_keys_stay_inert() {
        let mut w = Wheel::new();
        let keys: Vec<TimerKey> = (0..100_000u64).map(|i| w.insert(1_000_000 + i, i)).collect();
        let survivor = keys[50_000];
        for k in keys.iter().filter(|k| **k != survivor) {
            assert!(w.remove(*k).is_some());
        }
        w.trim();
        assert_eq!(w.capacity(), 100_000, "a recent peak keeps the capacity");
        w.trim();
        assert_eq!(w.capacity(), 50_001, "a quiet window: cut above the survivor");
        assert_eq!(w.remove(survivor), Some(50_000));
        for i in 0..1000u64 {
            let k = w.insert(2_000_000 + i, i);
            w.remove(k);
        }
        w.trim();
        assert!(w.capacity() < trim::SHRINK_MIN_ENTRIES, "still {} nodes", w.capacity());
        // New timers in cut nodes do not answer to the old keys.
        let fresh: Vec<TimerKey> = (0..100u64).map(|i| w.insert(3_000_000 + i, i)).collect();
        for k in &keys[..100] {
            assert!(w.remove(*k).is_none(), "an old key removed a new timer");
        }
        assert_eq!(w.len(), fresh.len());
    }

    #[test]
    fn random_cancels_never_disturb_the_rest() {
        let mut rng = Rng(42);
        let mut w = Wheel::new();
        let mut live = Vec::new();
        for i in 0..20_000u64 {
            let d = rng.next() % 10_000_000;
            let k = w.insert(d, i);
            live.push((k, d, i));
            if rng.next() % 3 == 0 {
                let j = (rng.next() as usize) % live.len();
                let (k, _, v) = live.swap_remove(j);
                assert_eq!(w.remove(k), Some(v));
            }
        }
        let mut fired = Vec::new();
        adv(&mut w, u64::MAX, &mut fired);
        let mut want: Vec<(u64, u64)> = live.iter().map(|&(_, d, i)| (d, i)).collect();
        want.sort();
        let got: Vec<u64> = fired;
        assert_eq!(got, want.iter().map(|&(_, i)| i).collect::<Vec<_>>());
    }

    #[test]
    fn past_deadlines_fire_on_the_next_advance_and_far_ones_are_clamped() {
        let mut w = Wheel::new();
        let mut fired = Vec::new();
        adv(&mut w, 1_000, &mut fired);
        w.insert(10, "past");
        w.insert(u64::MAX, "far");
        assert_eq!(w.next_deadline(), Some(1_000));
        adv(&mut w, 1_000, &mut fired);
        assert_eq!(fired, vec!["past"]);
        adv(&mut w, MAX_DEADLINE, &mut fired);
        assert_eq!(fired, vec!["past", "far"]);
    }

    #[test]
    fn get_mut_and_contains_follow_the_key() {
        let mut w = Wheel::new();
        let k = w.insert(100, 1);
        *w.get_mut(k).unwrap() = 7;
        assert!(w.contains(k));
        let mut fired = Vec::new();
        adv(&mut w, 100, &mut fired);
        assert_eq!(fired, vec![7]);
        assert!(!w.contains(k));
        assert!(w.get_mut(k).is_none());
    }
}
