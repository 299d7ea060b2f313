//! `EvloopTimer`: hyper's timers on the loop's timer wheel.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A [`hyper::rt::Timer`] backed by
/// [`evloop::sleep`](crate::sleep): hyper's timeouts arm and cancel timers in
/// the loop's wheel and follow its clock (so a paused clock works too).
#[derive(Clone, Copy, Debug, Default)]
pub struct EvloopTimer;

/// The sleep future [`EvloopTimer`] hands to hyper: an
/// [`evloop::Sleep`](crate::Sleep) (which is `Send + Sync`).
#[derive(Debug)]
pub struct HyperSleep(crate::Sleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl ::hyper::rt::Sleep for HyperSleep {}

impl ::hyper::rt::Timer for EvloopTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::sleep_until(deadline)))
    }

    fn now(&self) -> Instant {
        crate::time()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            // Moves the timer in place instead of allocating a new sleep.
            Some(ours) => ours.get_mut().0.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
