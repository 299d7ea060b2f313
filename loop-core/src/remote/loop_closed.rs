//! `LoopClosed`: the error of a cross-thread call to a loop that is gone.

use std::fmt;

/// A [`LoopHandle`](crate::LoopHandle) call reached a loop that is closed
/// (or closing past the point where it takes messages): asyncio's
/// "Event loop is closed".
///
/// ```
/// # use evloop_core as evloop;
/// let lp = evloop::EventLoop::new().unwrap();
/// let handle = lp.handle();
/// lp.close();
/// let refused = handle.call_soon_threadsafe(|| unreachable!());
/// assert_eq!(refused, Err(evloop::LoopClosed));
/// assert_eq!(refused.unwrap_err().to_string(), "event loop is closed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("event loop is closed")
    }
}

impl std::error::Error for LoopClosed {}
