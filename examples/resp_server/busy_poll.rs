//! Optional busy polling (`--busy-poll-us N`): for N µs after the last
//! request, keep the loop polling for I/O without sleeping.
//!
//! A server that answers faster than its clients send goes to sleep in
//! `epoll_wait` after every batch, and each new request then pays for a
//! wakeup: an inter-processor interrupt, a context switch, the CPU leaving
//! its idle state — microseconds that a ping-pong client waits through.
//! While the spinner task below is ready, the tick's I/O poll does not
//! block (`epoll_wait` with a zero timeout), so the next request is seen as
//! soon as it lands. The price is a core kept busy for the window after
//! traffic stops; when it stays quiet the spinner sleeps until the next
//! request.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::sync::Event;

pub struct BusyPoll {
    window: Duration,
    recent: Cell<bool>,
    spinning: Cell<bool>,
    wake: Event,
}

impl BusyPoll {
    /// Starts the spinner task on the running loop.
    pub fn start(window: Duration) -> Rc<BusyPoll> {
        let busy = Rc::new(BusyPoll {
            window,
            recent: Cell::new(false),
            spinning: Cell::new(false),
            wake: Event::new(),
        });
        let _spinner = evloop::spawn(busy.clone().spin());
        busy
    }

    /// A connection saw traffic.
    pub fn activity(&self) {
        self.recent.set(true);
        if !self.spinning.get() {
            self.wake.set();
        }
    }

    async fn spin(self: Rc<Self>) {
        loop {
            self.wake.wait().await;
            self.wake.clear();
            self.spinning.set(true);
            let mut quiet_since = Instant::now();
            loop {
                evloop::yield_now().await;
                if self.recent.replace(false) {
                    quiet_since = Instant::now();
                } else if quiet_since.elapsed() > self.window {
                    break;
                }
            }
            self.spinning.set(false);
        }
    }
}
