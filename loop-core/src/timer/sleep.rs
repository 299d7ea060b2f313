//! `sleep` and `sleep_until`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::context;
use crate::core::{Core, TimerPayload};
use crate::timer::wheel::TimerKey;

/// Waits until `duration` has passed on the loop's clock
/// (asyncio's `asyncio.sleep`). Never completes before the deadline.
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
/// ```
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    context::with_core("evloop::sleep", |core| {
        let now = core.clock.now();
        let deadline = now.checked_add(duration).unwrap_or_else(|| far_future(now));
        Sleep::new(core, deadline)
    })
}

/// Waits until `deadline` on the loop's clock.
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    context::with_core("evloop::sleep_until", |core| Sleep::new(core, deadline))
}

pub(crate) fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(86_400 * 365 * 1000)
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// The timer is armed on the first poll and disarmed when the `Sleep` is
/// dropped, so an abandoned sleep leaves nothing behind in the timer wheel.
///
/// A `Sleep` is `Send` (it names its loop by index, not by pointer), so it
/// can be held in futures given to [`LoopHandle::spawn`](crate::LoopHandle::spawn);
/// it must still be polled on the loop that created it.
#[must_use = "a Sleep does nothing unless awaited"]
pub struct Sleep {
    loop_index: u16,
    deadline: Instant,
    key: Option<TimerKey>,
}

impl Sleep {
    fn new(core: &Core, deadline: Instant) -> Sleep {
        Sleep {
            loop_index: core.index(),
            deadline,
            key: None,
        }
    }

    /// Runs `f` with this sleep's loop, which must be the running one.
    #[track_caller]
    fn with_core<R>(&self, f: impl FnOnce(&Core) -> R) -> R {
        context::with_core("polling a Sleep", |core| {
            assert!(
                core.index() == self.loop_index,
                "a Sleep was polled on a different event loop than the one that created it"
            );
            f(core)
        })
    }

    /// When this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed on the loop's clock.
    ///
    /// # Panics
    /// Outside the loop that created this sleep.
    pub fn is_elapsed(&self) -> bool {
        self.with_core(|core| core.clock.now() >= self.deadline)
    }

    /// Moves the deadline (earlier or later); the sleep can be awaited again.
    pub fn reset(&mut self, deadline: Instant) {
        self.disarm();
        self.deadline = deadline;
    }

    fn disarm(&mut self) {
        if let Some(key) = self.key.take() {
            // Without its loop running here the timer cannot be reached; it
            // then fires once, harmlessly, or goes when the loop closes.
            context::try_with_core(|core| {
                if core.index() == self.loop_index {
                    core.timers.borrow_mut().remove(key);
                }
            });
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let (key, deadline) = (this.key, this.deadline);
        let (ready, key) = this.with_core(|core| {
            let mut timers = core.timers.borrow_mut();
            if let Some(key) = key {
                return match timers.get_mut(key) {
                    Some(TimerPayload::Wake(waker)) => {
                        if !waker.will_wake(cx.waker()) {
                            *waker = cx.waker().clone();
                        }
                        (false, Some(key))
                    }
                    // The timer fired (its entry is gone): the deadline passed.
                    _ => (true, None),
                };
            }
            let at = core.clock.deadline_us(deadline);
            if at <= core.clock.now_us() {
                return (true, None);
            }
            (
                false,
                Some(timers.insert(at, TimerPayload::Wake(cx.waker().clone()))),
            )
        });
        this.key = key;
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Sleep {
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
