//! `TcpStream`: a TCP connection on the loop.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::task::Poll;

use evloop_core::reactor::{Direction, IoSource};

use super::split::{ReadHalf, WriteHalf};
use super::stream_io::{self, StreamIo};

/// A TCP connection registered with the running loop.
///
/// Every method takes `&self`, so one task may read while another writes
/// (share the stream with an `Rc`, or split it with
/// [`into_split`](Self::into_split)). At most one task should wait to read
/// and one to write at a time: a second waiter in the same direction replaces
/// the first one's wakeup.
///
/// The stream implements [`futures_io::AsyncRead`] and
/// [`futures_io::AsyncWrite`] (both for `TcpStream` and `&TcpStream`);
/// `poll_close` shuts the writing side down.
///
/// ```
/// use evloop::net::{TcpListener, TcpStream};
///
/// evloop::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = evloop::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let mut buf = [0u8; 4];
///         stream.read_exact(&mut buf).await.unwrap();
///         stream.write_all(&buf).await.unwrap();
///     });
///     let client = TcpStream::connect(addr).await.unwrap();
///     client.write_all(b"ping").await.unwrap();
///     let mut echo = [0u8; 4];
///     client.read_exact(&mut echo).await.unwrap();
///     assert_eq!(&echo, b"ping");
///     server.await.unwrap();
/// });
/// ```
pub struct TcpStream {
    pub(super) io: StreamIo<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn.
    ///
    /// The connect is non-blocking: the task waits until the socket becomes
    /// writable, then checks the socket's pending error, so a refused
    /// connection fails as soon as the kernel knows. Name resolution, if
    /// `addr` is a host name, is the blocking `ToSocketAddrs` of std; pass a
    /// `SocketAddr` to avoid it.
    ///
    /// # Panics
    /// Outside a running loop.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match TcpStream::connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(super::no_addresses))
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let io = IoSource::new(mio::net::TcpStream::connect(addr)?)?;
        poll_fn(|cx| {
            loop {
                if io.poll_ready(Direction::Write, cx).is_pending() {
                    return Poll::Pending;
                }
                if let Some(e) = io.get_ref().take_error()? {
                    return Poll::Ready(Err(e));
                }
                match io.get_ref().peer_addr() {
                    Ok(_) => return Poll::Ready(Ok(())),
                    // Writable but not yet connected: wait for the next edge.
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => io.clear_ready(Direction::Write),
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
        })
        .await?;
        Ok(TcpStream { io: StreamIo::new(io) })
    }

    /// Wraps a connected std stream (made non-blocking here).
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
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

    /// Shuts down the reading side, the writing side (the peer reads
    /// end-of-stream: a half-close), or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Turns Nagle's algorithm off (`true`) or on: with it off, small writes
    /// go out at once instead of waiting for the previous segment's ACK.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Splits the stream into an owned read half and an owned write half,
    /// which can move into different tasks. Dropping the write half shuts
    /// the writing side down; [`ReadHalf::reunite`] puts them back together.
    pub fn into_split(self) -> (ReadHalf<TcpStream>, WriteHalf<TcpStream>) {
        super::split::split(Rc::new(self), |s| s.shutdown(Shutdown::Write))
    }

    pub(crate) fn source(&self) -> &StreamIo<mio::net::TcpStream> {
        &self.io
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

stream_io::impl_async_io!(TcpStream);
