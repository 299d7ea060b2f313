//! `Builder`: loop options.

use std::io;

use super::EventLoop;

/// Options for a new [`EventLoop`]; start from [`EventLoop::builder`].
///
/// ```
/// # use evloop_core as evloop;
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     // An hour of virtual time passes at once.
///     evloop::sleep(std::time::Duration::from_secs(3600)).await;
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    paused_clock: bool,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder::default()
    }

    /// Use a paused (virtual) clock. It starts at the real now and, whenever
    /// no task is ready and no I/O event is pending, jumps straight to the
    /// next timer deadline — so tests that sleep for hours finish at once,
    /// with events in the order a real clock would give. `advance` moves it
    /// by hand.
    pub fn paused_clock(mut self, paused: bool) -> Self {
        self.paused_clock = paused;
        self
    }

    /// Builds the loop.
    ///
    /// # Errors
    /// If the OS refuses an epoll instance, an eventfd or a timerfd (for
    /// example when the process is out of file descriptors).
    pub fn build(self) -> io::Result<EventLoop> {
        EventLoop::from_builder(self.paused_clock)
    }
}
