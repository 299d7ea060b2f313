//! `UnixStream`: a Unix domain stream socket on the loop.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use evloop_core::reactor::{Direction, IoSource};

use super::split::{ReadHalf, WriteHalf};
use super::stream_io::{self, StreamIo};

/// A Unix domain stream socket registered with the running loop: the same
/// shape as [`TcpStream`](super::TcpStream).
///
/// ```
/// use evloop::net::UnixStream;
///
/// evloop::run(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     a.write_all(b"ping").await.unwrap();
///     let mut buf = [0u8; 4];
///     b.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
/// });
/// ```
pub struct UnixStream {
    pub(super) io: StreamIo<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path`.
    ///
    /// If the listener's backlog is full (`EAGAIN`), the connect is retried
    /// after a short sleep (1 ms doubling up to 100 ms) until it gets
    /// through; wrap the call in [`evloop::timeout`](crate::timeout) to
    /// bound it.
    ///
    /// # Panics
    /// Outside a running loop.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let mut backoff = Duration::from_millis(1);
        let socket = loop {
            match mio::net::UnixStream::connect(path) {
                Ok(socket) => break socket,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    evloop_core::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        };
        let io = IoSource::new(socket)?;
        poll_fn(|cx| loop {
            if io.poll_ready(Direction::Write, cx).is_pending() {
                return Poll::Pending;
            }
            if let Some(e) = io.get_ref().take_error()? {
                return Poll::Ready(Err(e));
            }
            match io.get_ref().peer_addr() {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => io.clear_ready(Direction::Write),
                Err(e) => return Poll::Ready(Err(e)),
            }
        })
        .await?;
        Ok(UnixStream { io: StreamIo::new(io) })
    }

    /// A connected pair of sockets.
    ///
    /// # Panics
    /// Outside a running loop.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    /// Wraps a connected std socket (made non-blocking here).
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    pub(crate) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: StreamIo::new(IoSource::new(stream)?),
        })
    }

    /// Reads into `buf`; `Ok(0)` means the peer closed its side (or `buf`
    /// is empty).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        stream_io::read(&self.io, buf).await
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the peer closes
    /// first.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        stream_io::read_exact(&self.io, buf).await
    }

    /// Writes some of `buf`; returns how many bytes the kernel took.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        stream_io::write(&self.io, buf).await
    }

    /// Writes several buffers with one `writev` call.
    pub async fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        stream_io::write_vectored(&self.io, bufs).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        stream_io::write_all(&self.io, buf).await
    }

    /// Shuts down the reading side, the writing side (a half-close), or
    /// both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Splits the stream into owned read and write halves; see
    /// [`TcpStream::into_split`](super::TcpStream::into_split).
    pub fn into_split(self) -> (ReadHalf<UnixStream>, WriteHalf<UnixStream>) {
        super::split::split(Rc::new(self), |s| s.shutdown(Shutdown::Write))
    }

    pub(crate) fn source(&self) -> &StreamIo<mio::net::UnixStream> {
        &self.io
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

stream_io::impl_async_io!(UnixStream);
