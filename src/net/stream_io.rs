//! The readiness protocol shared by the stream sockets (TCP and Unix).
//!
//! An operation is tried first; only a `WouldBlock` makes the task wait for
//! the next edge ([`IoSource::poll_ready`]). Two shortcuts save a system call
//! per message, and both are safe under edge-triggered readiness because a
//! new edge is queued for any data or close that arrives after the call:
//!
//! - a read that returned fewer bytes than asked drained the socket's receive
//!   buffer, so the read readiness is forgotten at once instead of after a
//!   second read returning `WouldBlock` — unless an event already reported
//!   the peer's close, which would never produce another edge;
//! - a write that took fewer bytes than offered filled the send buffer, so
//!   the write readiness is forgotten at once.
//!
//! The readiness of each direction has a single waker slot, so two tasks
//! waiting to read one stream (or to write it) would steal each other's
//! wake-ups and one would hang. The stream's own `read*` / `write*` methods
//! therefore claim their direction for as long as they run ([`Claim`]); a
//! second one in the same direction meanwhile fails at once with an
//! `io::Error` of kind `ResourceBusy` that says so (as asyncio's streams
//! raise "already waiting"). The `AsyncRead` / `AsyncWrite` impls are
//! poll-level and cannot tell an abandoned poll from a waiting one, so they
//! only check for a claim, they make none.

use std::cell::Cell;

use std::io::{self, IoSlice, Read, Write};
use std::task::{ready, Context, Poll};

use evloop_core::reactor::{Direction, IoSource};

use super::budget::Budget;

/// A stream socket registered with the loop, with its operation budget.
pub(crate) struct StreamIo<S: mio::event::Source> {
    io: IoSource<S>,
    budget: Budget,
    /// A `read*` method is running.
    reading: Cell<bool>,
    /// A `write*` method is running.
    writing: Cell<bool>,
}

impl<S: mio::event::Source> StreamIo<S> {
    pub(crate) fn new(io: IoSource<S>) -> StreamIo<S> {
        StreamIo {
            io,
            budget: Budget::default(),
            reading: Cell::new(false),
            writing: Cell::new(false),
        }
    }

    /// Claims `dir` for one `read*` / `write*` call, or fails if another
    /// call in that direction is under way.
    pub(crate) fn claim(&self, dir: Direction) -> io::Result<Claim<'_>> {
        let flag = self.flag(dir);
        if flag.replace(true) {
            return Err(busy(dir));
        }
        Ok(Claim { flag })
    }

    /// Fails if a `read*` / `write*` call in `dir` is under way.
    fn check_unclaimed(&self, dir: Direction) -> io::Result<()> {
        if self.flag(dir).get() {
            return Err(busy(dir));
        }
        Ok(())
    }

    fn flag(&self, dir: Direction) -> &Cell<bool> {
        match dir {
            Direction::Read => &self.reading,
            Direction::Write => &self.writing,
        }
    }

    pub(crate) fn get_ref(&self) -> &S {
        self.io.get_ref()
    }
}

/// A direction of a stream claimed by one `read*` / `write*` call.
pub(crate) struct Claim<'a> {
    flag: &'a Cell<bool>,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.flag.set(false);
    }
}

#[cold]
fn busy(dir: Direction) -> io::Error {
    let what = match dir {
        Direction::Read => "another task is already reading this stream",
        Direction::Write => "another task is already writing to this stream",
    };
    io::Error::new(
        io::ErrorKind::ResourceBusy,
        format!(
            "{what}: two tasks waiting in the same direction would steal each other's wake-ups; \
             let one task do all the {}, or hand the data over through a channel",
            if dir == Direction::Read { "reading" } else { "writing" }
        ),
    )
}

/// Reads into `buf` for a `read` method: claims the direction first.
pub(crate) async fn read<S>(stream: &StreamIo<S>, buf: &mut [u8]) -> io::Result<usize>
where
    S: mio::event::Source,
    for<'a> &'a S: Read,
{
    let _claim = stream.claim(Direction::Read)?;
    std::future::poll_fn(|cx| poll_read(stream, cx, buf)).await
}

/// Writes from `buf` for a `write` method: claims the direction first.
pub(crate) async fn write<S>(stream: &StreamIo<S>, buf: &[u8]) -> io::Result<usize>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    let _claim = stream.claim(Direction::Write)?;
    std::future::poll_fn(|cx| poll_write(stream, cx, buf)).await
}

/// Writes several buffers for a `write_vectored` method: claims the
/// direction first.
pub(crate) async fn write_vectored<S>(stream: &StreamIo<S>, bufs: &[IoSlice<'_>]) -> io::Result<usize>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    let _claim = stream.claim(Direction::Write)?;
    std::future::poll_fn(|cx| poll_write_vectored(stream, cx, bufs)).await
}

/// Reads into `buf`, waiting for readiness if nothing is buffered.
pub(crate) fn poll_read<S>(stream: &StreamIo<S>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Read,
{
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    ready!(stream.budget.poll_proceed(cx));
    stream.budget.record(read_once(&stream.io, cx, buf))
}

fn read_once<S>(io: &IoSource<S>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Read,
{
    loop {
        ready!(io.poll_ready(Direction::Read, cx));
        let mut source = io.get_ref();
        match source.read(buf) {
            Ok(n) => {
                if n > 0 && n < buf.len() && !io.is_read_closed() {
                    io.clear_ready(Direction::Read);
                }
                return Poll::Ready(Ok(n));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => io.clear_ready(Direction::Read),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

/// Writes from `buf`, waiting for readiness if the send buffer is full.
pub(crate) fn poll_write<S>(stream: &StreamIo<S>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    poll_write_with(stream, cx, buf.len(), |mut s| s.write(buf))
}

/// Writes from several buffers with one `writev`.
pub(crate) fn poll_write_vectored<S>(
    stream: &StreamIo<S>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    let len: usize = bufs.iter().map(|b| b.len()).sum();
    if len == 0 {
        return Poll::Ready(Ok(0));
    }
    poll_write_with(stream, cx, len, |mut s| s.write_vectored(bufs))
}

fn poll_write_with<S>(
    stream: &StreamIo<S>,
    cx: &mut Context<'_>,
    len: usize,
    op: impl FnMut(&S) -> io::Result<usize>,
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
{
    ready!(stream.budget.poll_proceed(cx));
    stream.budget.record(write_once(&stream.io, cx, len, op))
}

fn write_once<S>(
    io: &IoSource<S>,
    cx: &mut Context<'_>,
    len: usize,
    mut op: impl FnMut(&S) -> io::Result<usize>,
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
{
    loop {
        ready!(io.poll_ready(Direction::Write, cx));
        match op(io.get_ref()) {
            Ok(n) => {
                if n < len {
                    io.clear_ready(Direction::Write);
                }
                return Poll::Ready(Ok(n));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => io.clear_ready(Direction::Write),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

/// Reads into possibly uninitialized memory (hyper's `ReadBufCursor`) with
/// `recv(2)`, so no `&mut [u8]` over uninitialized bytes is ever formed.
#[cfg(feature = "hyper")]
pub(crate) fn poll_read_uninit<S>(
    stream: &StreamIo<S>,
    cx: &mut Context<'_>,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source + std::os::fd::AsRawFd,
{
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    ready!(stream.budget.poll_proceed(cx));
    stream.budget.record(read_uninit_once(&stream.io, cx, buf))
}

#[cfg(feature = "hyper")]
fn read_uninit_once<S>(
    io: &IoSource<S>,
    cx: &mut Context<'_>,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source + std::os::fd::AsRawFd,
{
    loop {
        ready!(io.poll_ready(Direction::Read, cx));
        let fd = io.get_ref().as_raw_fd();
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the
        // whole call (we hold its unique borrow) and recv(2) writes at most
        // that many; the fd belongs to the source borrowed through `io`.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n >= 0 {
            let n = n as usize;
            if n > 0 && n < buf.len() && !io.is_read_closed() {
                io.clear_ready(Direction::Read);
            }
            return Poll::Ready(Ok(n));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock => io.clear_ready(Direction::Read),
            io::ErrorKind::Interrupted => {}
            _ => return Poll::Ready(Err(e)),
        }
    }
}

/// `AsyncRead::poll_read`: as [`poll_read`], failing if a `read*` method
/// is under way.
pub(crate) fn poll_read_shared<S>(stream: &StreamIo<S>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Read,
{
    stream.check_unclaimed(Direction::Read)?;
    poll_read(stream, cx, buf)
}

/// `AsyncWrite::poll_write`: as [`poll_write`], failing if a `write*`
/// method is under way.
pub(crate) fn poll_write_shared<S>(stream: &StreamIo<S>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    stream.check_unclaimed(Direction::Write)?;
    poll_write(stream, cx, buf)
}

/// `AsyncWrite::poll_write_vectored`: as [`poll_write_vectored`], failing
/// if a `write*` method is under way.
pub(crate) fn poll_write_vectored_shared<S>(
    stream: &StreamIo<S>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    stream.check_unclaimed(Direction::Write)?;
    poll_write_vectored(stream, cx, bufs)
}

/// Fills `buf` completely, or fails with `UnexpectedEof`.
pub(crate) async fn read_exact<S>(stream: &StreamIo<S>, mut buf: &mut [u8]) -> io::Result<()>
where
    S: mio::event::Source,
    for<'a> &'a S: Read,
{
    let _claim = stream.claim(Direction::Read)?;
    while !buf.is_empty() {
        let n = std::future::poll_fn(|cx| poll_read(stream, cx, buf)).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the stream before the buffer was filled",
            ));
        }
        buf = &mut buf[n..];
    }
    Ok(())
}

/// Writes all of `buf`, or fails with `WriteZero`.
pub(crate) async fn write_all<S>(stream: &StreamIo<S>, mut buf: &[u8]) -> io::Result<()>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    let _claim = stream.claim(Direction::Write)?;
    while !buf.is_empty() {
        let n = std::future::poll_fn(|cx| poll_write(stream, cx, buf)).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "the stream accepted no bytes"));
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// `futures_io::AsyncRead` and `AsyncWrite` for a stream type and for a
/// shared reference to it (as std does for `Read for &TcpStream`), through
/// its `source()`. `poll_close` shuts the writing side down.
macro_rules! impl_async_io {
    ($ty:ty) => {
        $crate::net::stream_io::impl_async_io!(@impl $ty);
        $crate::net::stream_io::impl_async_io!(@impl &$ty);
    };
    (@impl $ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream_io::poll_read_shared(self.source(), cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream_io::poll_write_shared(self.source(), cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream_io::poll_write_vectored_shared(self.source(), cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }
    };
}
pub(crate) use impl_async_io;
