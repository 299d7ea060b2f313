//! `Signals`: a stream of deliveries of one signal.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use evloop_core::reactor::{Direction, IoSource};

use super::SignalKind;

/// Deliveries of one signal to this process, from [`signal`](super::signal).
///
/// Each `Signals` has its own handler registration and self-pipe
/// (`signal-hook` + `signal-hook-mio`), so every listener — in this loop or
/// in another loop on another thread — gets every delivery. Deliveries that
/// arrive before `recv` is called are not lost, but several of them may
/// count as one (Unix signals coalesce).
///
/// It also implements `futures_core::Stream<Item = ()>`.
pub struct Signals {
    io: IoSource<signal_hook_mio::v1_0::Signals>,
    kind: SignalKind,
    /// A delivery was read from the pipe and not yet returned.
    pending: bool,
}

impl Signals {
    pub(crate) fn new(kind: SignalKind) -> io::Result<Signals> {
        let source = signal_hook_mio::v1_0::Signals::new([kind.as_raw()])?;
        Ok(Signals {
            io: IoSource::new(source)?,
            kind,
            pending: false,
        })
    }

    /// Waits for the next delivery. Never returns `None` while the loop
    /// runs: the `Option` leaves room for a stream that can end.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll form of [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        loop {
            if self.pending {
                self.pending = false;
                return Poll::Ready(Some(()));
            }
            if self.io.poll_ready(Direction::Read, cx).is_pending() {
                return Poll::Pending;
            }
            // Drains the self-pipe; an empty drain means the edge is used up.
            if self.io.get_mut().pending().next().is_some() {
                self.pending = true;
            } else {
                self.io.clear_ready(Direction::Read);
            }
        }
    }

    /// Which signal this listens for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl futures_core::Stream for Signals {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals").field("kind", &self.kind).finish()
    }
}
