//! The timer subsystem of one loop: the clock, the wheel and the buffer of
//! fired timers. The scheduler asks it for what is due (step 1 of the tick)
//! and for the next deadline (step 4); `sleep`, `call_later` and `call_at`
//! arm and disarm through it.
//!
//! The wheel sits in a `RefCell` borrowed only for the few instructions of
//! an insert, a removal or an advance — never while a payload is dropped or
//! woken, since a waker's drop or wake may re-enter (arm another timer).

use std::cell::{RefCell, RefMut};
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use super::clock::Clock;
use super::wheel::{TimerKey, Wheel};
use crate::callback::CallbackCell;

/// What an armed timer does when it fires.
pub(crate) enum TimerPayload {
    /// Wake a future (`Sleep`).
    Wake(Waker),
    /// Nothing yet: a `sleep(d)` armed when called, not polled since (its
    /// first poll puts its waker here).
    NotPolled,
    /// Queue a callback (`call_later`, `call_at`).
    Callback(Rc<CallbackCell>),
}

/// Timers fired by one advance, in deadline order: (deadline µs, payload).
pub(crate) type Fired = Vec<(u64, TimerPayload)>;

/// Above this capacity the fired buffer is given back after use.
const FIRED_KEEP: usize = 1024;

pub(crate) struct Timers {
    clock: Clock,
    wheel: RefCell<Wheel<TimerPayload>>,
    /// Reused between ticks, so firing allocates nothing.
    fired: RefCell<Fired>,
}

impl Timers {
    pub(crate) fn new(paused_clock: bool) -> Timers {
        Timers {
            clock: Clock::new(paused_clock),
            wheel: RefCell::new(Wheel::new()),
            fired: RefCell::new(Vec::new()),
        }
    }

    /// The loop's clock.
    #[inline]
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// True if no timer is armed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.wheel.borrow().is_empty()
    }

    /// Armed timers.
    pub(crate) fn len(&self) -> usize {
        self.wheel.borrow().len()
    }

    /// Node slots held by the wheel: its memory footprint.
    pub(crate) fn store_size(&self) -> usize {
        self.wheel.borrow().capacity()
    }

    /// Gives back node memory if the store is far over its recent peak
    /// (`trim.rs`).
    pub(crate) fn trim(&self) {
        self.settle();
        self.wheel.borrow_mut().trim();
    }

    /// Arms a timer at `at_us` (µs on the clock).
    #[inline]
    pub(crate) fn insert(&self, at_us: u64, payload: TimerPayload) -> TimerKey {
        self.wheel.borrow_mut().insert(at_us, payload)
    }

    /// Arms a timer `delay` from now — with the real clock, from the end of
    /// this tick's run step, when [`settle`](Self::settle) reads the clock
    /// once for every timer armed this way during the step (`wheel.rs`,
    /// "Staged timers"). Never earlier than `delay` from now.
    #[inline]
    pub(crate) fn insert_after(
        &self,
        wheel: &mut Wheel<TimerPayload>,
        delay: Duration,
        payload: TimerPayload,
    ) -> TimerKey {
        let delay_us = super::clock::us_rounded_up(delay);
        if self.clock.is_paused() {
            // Virtual time does not move during a run step: no need to wait.
            wheel.insert(self.clock.now_us().saturating_add(delay_us), payload)
        } else {
            wheel.insert_after(delay_us, payload)
        }
    }

    /// Links the timers armed with [`insert_after`](Self::insert_after)
    /// since the last call, with one clock read. The scheduler calls it at
    /// the end of every run step; everything that looks at deadlines calls
    /// it first too.
    #[inline]
    pub(crate) fn settle(&self) {
        let mut wheel = self.wheel.borrow_mut();
        if wheel.has_staged() {
            wheel.settle(self.clock.now_us());
        }
    }

    /// Disarms a timer. The payload comes back for the caller to drop
    /// outside the borrow.
    #[inline]
    pub(crate) fn remove(&self, key: TimerKey) -> Option<TimerPayload> {
        self.wheel.borrow_mut().remove(key)
    }

    /// The wheel, for `Sleep`'s poll (which looks at it several times).
    #[inline]
    pub(crate) fn wheel(&self) -> RefMut<'_, Wheel<TimerPayload>> {
        self.wheel.borrow_mut()
    }

    /// The deadline (µs) at which the wheel next has work, if any.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.settle();
        self.wheel.borrow().next_deadline()
    }

    /// Takes every timer due at `now_us`, in deadline order. Give the
    /// buffer back with [`recycle`](Self::recycle) once it is drained.
    pub(crate) fn take_due(&self, now_us: u64) -> Fired {
        let mut fired = std::mem::take(&mut *self.fired.borrow_mut());
        let mut wheel = self.wheel.borrow_mut();
        if wheel.has_staged() {
            wheel.settle(now_us);
        }
        wheel.advance(now_us, &mut fired);
        fired
    }

    /// Returns the (drained) fired buffer for the next tick.
    pub(crate) fn recycle(&self, mut fired: Fired) {
        debug_assert!(fired.is_empty());
        if fired.capacity() > FIRED_KEEP {
            fired.shrink_to(FIRED_KEEP);
        }
        *self.fired.borrow_mut() = fired;
    }

    /// At close: disarms every timer and returns the payloads.
    pub(crate) fn drain(&self) -> Vec<TimerPayload> {
        self.wheel.borrow_mut().drain()
    }
}
