//! [`Event`]: a flag tasks can wait on.
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::waiter_list::{WaiterKey, WaiterList};

/// A settable flag that tasks can wait for (asyncio's `Event`).
///
/// [`set`](Event::set) wakes every task waiting at that moment; they complete
/// even if [`clear`](Event::clear) is called before they get to run.
///
/// # Examples
///
/// ```
/// use evloop_primitives::Event;
/// # futures::executor::block_on(async {
/// let ev = Event::new();
/// ev.set();
/// ev.wait().await; // already set: returns at once
/// assert!(ev.is_set());
/// # });
/// ```
pub struct Event {
    set: Cell<bool>,
    waiters: WaiterList<()>,
}

impl Event {
    /// A new, unset event.
    pub const fn new() -> Self {
        Event {
            set: Cell::new(false),
            waiters: WaiterList::new(),
        }
    }

    /// Sets the flag and wakes every current waiter.
    pub fn set(&self) {
        if !self.set.replace(true) {
            self.waiters.notify_all(|| ());
        }
    }

    /// Clears the flag; later [`wait`](Event::wait)s block again. Waiters
    /// already woken by [`set`](Event::set) still complete.
    pub fn clear(&self) {
        self.set.set(false);
    }

    /// True if the flag is set.
    pub fn is_set(&self) -> bool {
        self.set.get()
    }

    /// Number of tasks waiting for the flag.
    pub fn waiters(&self) -> usize {
        self.waiters.len()
    }

    /// Waits until the flag is set (returns at once if it is). Cancel-safe.
    pub fn wait(&self) -> EventWait<'_> {
        EventWait { event: self, key: None }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.set.get())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

/// The future returned by [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<WaiterKey>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.key.is_none() {
            if this.event.set.get() {
                return Poll::Ready(());
            }
            this.key = Some(this.event.waiters.push(cx.waker().clone()));
            return Poll::Pending;
        }
        this.event.waiters.poll_notified(&mut this.key, cx.waker())
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        // A wake-up from `set` is not a unit to pass on: every waiter got one.
        self.event.waiters.remove(&mut self.key);
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("queued", &self.key.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;
    use std::rc::Rc;

    #[test]
    fn set_then_clear_still_wakes_current_waiters() {
        let ev = Rc::new(Event::new());
        let woke = counter();
        let mut sim = Sim::new(4);
        for _ in 0..5 {
            let (ev, woke) = (ev.clone(), woke.clone());
            sim.spawn(async move {
                ev.wait().await;
                woke.set(woke.get() + 1);
            });
        }
        sim.run_until_stalled();
        assert_eq!(ev.waiters(), 5);
        ev.set();
        ev.clear();
        // A newcomer after clear() waits.
        let (ev2, woke2) = (ev.clone(), woke.clone());
        sim.spawn(async move {
            ev2.wait().await;
            woke2.set(woke2.get() + 100);
        });
        sim.run_until_stalled();
        assert_eq!(woke.get(), 5);
        assert_eq!(ev.waiters(), 1);
        ev.set();
        sim.run_until_stalled();
        assert_eq!(woke.get(), 105);
    }

    #[test]
    fn cancellation_stress() {
        for seed in 0..20 {
            let ev = Rc::new(Event::new());
            let woke = counter();
            let mut sim = Sim::new(seed);
            let mut ids = Vec::new();
            for _ in 0..1000 {
                let (ev, woke) = (ev.clone(), woke.clone());
                ids.push(sim.spawn(async move {
                    ev.wait().await;
                    woke.set(woke.get() + 1);
                }));
            }
            let cancelled = sim.run_with_cancellation(30, &ids);
            assert_eq!(ev.waiters() + cancelled, 1000);
            ev.set();
            ev.clear();
            let late = sim.run_with_cancellation(30, &ids);
            assert!(late > 0);
            assert_eq!(woke.get() + cancelled + late, 1000, "seed {seed}");
            assert_eq!(ev.waiters(), 0);
        }
    }
}
