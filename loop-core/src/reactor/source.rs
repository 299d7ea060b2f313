//! `IoSource`: a mio source registered with the running loop, and the
//! readiness protocol the socket types are built on.

use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::context;
use crate::core::Core;

/// Which readiness an operation waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The source may be read (or has hung up / failed).
    Read,
    /// The source may be written (or has hung up / failed).
    Write,
}

/// A mio source registered with the running loop.
///
/// This is the building block of `evloop::net`: an operation is tried, and
/// only when it returns `WouldBlock` does the task wait for the next
/// readiness edge. Reads and writes keep separate wakers, so one task may
/// read while another writes through the same `&IoSource`.
///
/// ```
/// # use evloop_core as evloop;
/// use std::io::{Read, Write};
/// use evloop::reactor::{Direction, IoSource};
///
/// evloop::run(async {
///     let (a, b) = mio::net::UnixStream::pair().unwrap();
///     let (a, b) = (IoSource::new(a).unwrap(), IoSource::new(b).unwrap());
///     let reader = evloop::spawn(async move {
///         let mut buf = [0u8; 5];
///         let n = b.io(Direction::Read, |mut s| s.read(&mut buf)).await.unwrap();
///         buf[..n].to_vec()
///     });
///     a.io(Direction::Write, |mut s| s.write(b"hello")).await.unwrap();
///     assert_eq!(reader.await.unwrap(), b"hello");
/// });
/// ```
pub struct IoSource<S: mio::event::Source> {
    source: S,
    key: usize,
    core: Rc<Core>,
}

impl<S: mio::event::Source> IoSource<S> {
    /// Registers `source` with the running loop.
    ///
    /// # Panics
    /// Outside a running loop ("no running event loop").
    #[track_caller]
    pub fn new(mut source: S) -> io::Result<IoSource<S>> {
        let core =
            context::current_rc("creating an evloop socket (TcpListener::bind, UdpSocket::bind, ...) or an IoSource");
        let key = core.reactor().borrow_mut().register(&mut source)?;
        Ok(IoSource { source, key, core })
    }

    /// The wrapped source.
    pub fn get_ref(&self) -> &S {
        &self.source
    }

    /// The wrapped source, mutably (do not move it to another registry).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Ready if the last readiness edge for `dir` has not been consumed;
    /// otherwise remembers the waker for the next edge.
    ///
    /// # Panics
    /// When it would wait inside another loop than the one it was
    /// registered with ("belongs to a different event loop"): that loop
    /// never sees this source's events.
    pub fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<()> {
        let mut reactor = self.core.reactor().borrow_mut();
        let (ready, waker) = reactor.state(self.key).flag(dir);
        if *ready {
            return Poll::Ready(());
        }
        // Only a wait could hang in another loop: check on this path alone.
        self.check_loop();
        let old = match waker {
            Some(w) if w.will_wake(cx.waker()) => None,
            _ => waker.replace(cx.waker().clone()),
        };
        // Dropped after the borrow ends: a waker's drop may re-enter.
        drop(reactor);
        drop(old);
        Poll::Pending
    }

    /// Forgets the readiness for `dir`: call it when an operation returned
    /// `WouldBlock`, so the task waits for the next edge.
    pub fn clear_ready(&self, dir: Direction) {
        let mut reactor = self.core.reactor().borrow_mut();
        *reactor.state(self.key).flag(dir).0 = false;
    }

    /// True once a readiness event has reported that the peer closed its
    /// sending side (or hung up). A stream uses it to skip the `WouldBlock`
    /// probe after a short read: it may forget the read readiness after a
    /// read that returned fewer bytes than asked only if no close is
    /// pending, since a close seen in an event already consumed would never
    /// produce another edge.
    pub fn is_read_closed(&self) -> bool {
        self.core.reactor().borrow_mut().state(self.key).read_closed
    }

    /// Tries `op` whenever `dir` is ready, until it returns something other
    /// than `WouldBlock`.
    pub fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            if self.poll_ready(dir, cx).is_pending() {
                return Poll::Pending;
            }
            match op(&self.source) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_ready(dir),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return Poll::Ready(other),
            }
        }
    }

    /// The async form of [`poll_io`](Self::poll_io).
    pub async fn io<R>(&self, dir: Direction, mut op: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(dir, cx, &mut op)).await
    }
}

impl<S: mio::event::Source> IoSource<S> {
    /// A source waits on its own loop's reactor: awaiting it inside another
    /// loop would never see an event.
    #[inline]
    fn check_loop(&self) {
        let running = context::try_with_core(|core| core.id());
        if running.is_some_and(|id| id != self.core.id()) {
            foreign_source::<S>();
        }
    }
}

#[cold]
#[inline(never)]
fn foreign_source<S>() -> ! {
    panic!(
        "this I/O source ({}) belongs to a different event loop than the one polling it: \
         a socket is registered with the loop it was created on; create it inside the loop that uses it",
        std::any::type_name::<S>()
    )
}

impl<S: mio::event::Source> Drop for IoSource<S> {
    fn drop(&mut self) {
        let wakers = self.core.reactor().borrow_mut().deregister(self.key, &mut self.source);
        for waker in wakers {
            waker.wake();
        }
    }
}

impl<S: mio::event::Source + std::fmt::Debug> std::fmt::Debug for IoSource<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoSource")
            .field("source", &self.source)
            .field("key", &self.key)
            .finish()
    }
}
