//! `sleep` and `sleep_until`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::clock::instant_after;
use super::TimerPayload;
use crate::context;
use crate::core::Core;
use crate::timer::wheel::TimerKey;

/// Waits until `duration` has passed on the loop's clock
/// (asyncio's `asyncio.sleep`). Never completes before the deadline.
///
/// Inside a loop the deadline is fixed when `sleep` is called; a `Sleep`
/// built outside one (say, for `evloop::run(evloop::sleep(d))`) starts
/// counting when first polled. With the real clock, "when `sleep` is
/// called" is the end of the run step that called it: the loop arms every
/// timer a run step asks for "`d` from now" with one clock read, at the end
/// of the step (`loop-core`'s `timer/wheel.rs`, "Staged timers") — later
/// than the call by at most the rest of the step, never earlier. So
/// [`Sleep::deadline`] is known from the next tick on.
///
/// ```
/// # use evloop_core as evloop;
/// use std::time::Duration;
///
/// evloop::run(async {
///     let start = evloop::time();
///     evloop::sleep(Duration::from_millis(20)).await;
///     assert!(evloop::time() - start >= Duration::from_millis(20));
/// });
/// evloop::run(evloop::sleep(Duration::from_millis(1)));
/// ```
///
/// # Panics
/// When polled outside a running loop ("no running event loop").
#[inline]
pub fn sleep(duration: Duration) -> Sleep {
    // `unwrap_or_else`: a `Sleep` has a destructor; don't build one to drop it.
    context::try_with_core(|core| Sleep::after(core, duration)).unwrap_or_else(|| Sleep {
        loop_id: None,
        deadline: Deadline::After(duration),
        key: None,
        check_clock: true,
    })
}

/// Waits until `deadline` on the loop's clock.
///
/// # Panics
/// When polled outside a running loop ("no running event loop").
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        loop_id: context::try_with_core(|core| core.id()),
        deadline: Deadline::At(deadline),
        key: None,
        check_clock: true,
    }
}

#[derive(Clone, Copy, Debug)]
enum Deadline {
    At(Instant),
    /// Built outside a loop: the deadline is fixed at the first poll.
    After(Duration),
    /// Armed in the wheel as "`d` from the end of this run step" (see
    /// [`sleep`]): the wheel knows the deadline.
    Staged,
    /// A staged sleep that completed: it stays complete (until `reset`).
    Passed,
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// The timer is armed on the first poll and disarmed when the `Sleep` is
/// dropped, so an abandoned sleep leaves nothing behind in the timer wheel.
///
/// A `Sleep` is `Send` (it names its loop by index, not by pointer), so it
/// can be held in futures given to [`LoopHandle::spawn`](crate::LoopHandle::spawn);
/// it must be polled on the loop it first ran on.
#[must_use = "a Sleep does nothing unless awaited"]
pub struct Sleep {
    /// The loop it belongs to (process-unique id; `None` until first polled).
    loop_id: Option<u64>,
    deadline: Deadline,
    key: Option<TimerKey>,
    /// False when the deadline was computed as "now + d" with d > 0, so it
    /// cannot have been due when created: the first poll then skips the
    /// clock read and arms the timer (which fires next tick if now due).
    check_clock: bool,
}

impl Sleep {
    /// A sleep of `duration` from now on `core`'s clock: staged in the
    /// wheel with the real clock (no clock read, see [`sleep`]), or a fixed
    /// deadline with the paused clock, where reading the clock is free.
    #[inline]
    fn after(core: &Core, duration: Duration) -> Sleep {
        let timers = core.timers();
        if timers.clock().is_paused() || duration.is_zero() {
            return Sleep {
                loop_id: Some(core.id()),
                deadline: Deadline::At(instant_after(timers.clock().now(), duration)),
                key: None,
                check_clock: duration.is_zero(),
            };
        }
        let payload = TimerPayload::NotPolled;
        Sleep {
            loop_id: Some(core.id()),
            deadline: Deadline::Staged,
            key: Some(timers.insert_after(&mut timers.wheel(), duration, payload)),
            check_clock: false,
        }
    }

    /// When this sleep completes. `None` for a `sleep(d)` built outside a
    /// loop and not yet polled, and for one whose deadline the loop has not
    /// fixed yet (until the end of the run step that called `sleep`, see
    /// [`sleep`]) or that has completed.
    pub fn deadline(&self) -> Option<Instant> {
        match self.deadline {
            Deadline::At(at) => Some(at),
            Deadline::After(_) | Deadline::Passed => None,
            Deadline::Staged => {
                let key = self.key?;
                context::try_with_core(|core| {
                    let at = core.timers().wheel().deadline_of(key)?;
                    Some(core.timers().clock().instant_at(at))
                })
                .flatten()
            }
        }
    }

    /// True once the deadline has passed on the loop's clock.
    ///
    /// # Panics
    /// Outside a running loop.
    pub fn is_elapsed(&self) -> bool {
        match self.deadline {
            Deadline::At(at) => context::with_core("Sleep::is_elapsed", |core| core.timers().clock().now() >= at),
            Deadline::After(_) => false,
            Deadline::Staged => match (self.key, self.deadline()) {
                (Some(_), Some(at)) => {
                    context::with_core("Sleep::is_elapsed", |core| core.timers().clock().now() >= at)
                }
                // Fired already (and not polled since), or not settled yet.
                (Some(key), None) => {
                    context::with_core("Sleep::is_elapsed", |core| core.timers().wheel().get_mut(key).is_none())
                }
                (None, _) => false,
            },
            Deadline::Passed => true,
        }
    }

    /// Moves the deadline (earlier or later); the sleep can be awaited again.
    pub fn reset(&mut self, deadline: Instant) {
        self.disarm();
        self.deadline = Deadline::At(deadline);
        self.check_clock = true;
    }

    #[inline]
    fn disarm(&mut self) {
        if let (Some(key), Some(id)) = (self.key.take(), self.loop_id) {
            // Without its loop running here the timer cannot be reached; it
            // then fires once, harmlessly, or goes when the loop closes.
            context::try_with_core(|core| {
                if core.id() == id {
                    // Dropped after the borrow ends: a waker's drop may re-enter.
                    let payload = core.timers().remove(key);
                    drop(payload);
                }
            });
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        context::with_core("polling evloop::sleep", |core| {
            match this.loop_id {
                None => this.loop_id = Some(core.id()),
                Some(id) => assert!(
                    id == core.id(),
                    "this evloop::Sleep belongs to a different event loop: it was created on \
                     (or first polled by) another loop; create it inside the loop that awaits it"
                ),
            }
            if let Deadline::After(d) = this.deadline {
                *this = Sleep::after(core, d);
            }
            if let Some(key) = this.key {
                let mut timers = core.timers().wheel();
                return match timers.get_mut(key) {
                    Some(payload @ TimerPayload::NotPolled) => {
                        *payload = TimerPayload::Wake(cx.waker().clone());
                        Poll::Pending
                    }
                    Some(TimerPayload::Wake(waker)) => {
                        if !waker.will_wake(cx.waker()) {
                            let old = std::mem::replace(waker, cx.waker().clone());
                            // Dropped after the borrow ends: a waker's drop may re-enter.
                            drop(timers);
                            drop(old);
                        }
                        Poll::Pending
                    }
                    // The timer fired (its entry is gone): the deadline passed.
                    _ => {
                        this.key = None;
                        if let Deadline::Staged = this.deadline {
                            this.deadline = Deadline::Passed;
                        }
                        Poll::Ready(())
                    }
                };
            }
            let deadline = match this.deadline {
                Deadline::At(at) => at,
                Deadline::Passed => return Poll::Ready(()),
                Deadline::After(_) | Deadline::Staged => unreachable!("set up just above"),
            };
            let clock = core.timers().clock();
            let mut timers = core.timers().wheel();
            // Due by the wheel's last look at the clock (at most a tick old;
            // refreshed here if no timer is armed), or by a fresh look when
            // the deadline may have been due from the start: done, no timer.
            // Otherwise arm one; if it is due by now it fires next tick.
            if timers.is_empty() {
                timers.catch_up(clock.now_us());
            }
            let at = clock.deadline_us(deadline);
            if at <= timers.elapsed() || (this.check_clock && clock.now() >= deadline) {
                return Poll::Ready(());
            }
            this.key = Some(timers.insert(at, TimerPayload::Wake(cx.waker().clone())));
            Poll::Pending
        })
    }
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        self.disarm();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("armed", &self.key.is_some())
            .finish()
    }
}
