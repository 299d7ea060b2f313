//! `TcpListener`: accepting TCP connections on the loop.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use super::accept::AcceptQueue;
use evloop_core::reactor::IoSource;

use super::TcpStream;

/// A TCP socket listening for connections, registered with the running
/// loop.
///
/// [`accept`](Self::accept) rides out running out of file descriptors
/// (`EMFILE`, `ENFILE`) or kernel memory: it sleeps 10 ms, doubling up to
/// 100 ms, and tries again, so a server neither dies nor spins when it hits
/// its limit, and serves the waiting connections once descriptors free up.
///
/// ```
/// use evloop::net::{TcpListener, TcpStream};
///
/// evloop::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = evloop::spawn(async move { TcpStream::connect(addr).await.unwrap() });
///     let (stream, peer) = listener.accept().await.unwrap();
///     let client = client.await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
///     assert_eq!(stream.peer_addr().unwrap(), peer);
/// });
/// ```
pub struct TcpListener {
    pub(super) io: IoSource<mio::net::TcpListener>,
    /// Tasks waiting in `accept`, served in turn.
    acceptors: AcceptQueue,
}

impl TcpListener {
    /// Binds to `addr` (the first resolved address that works) and starts
    /// listening, with `SO_REUSEADDR` set and a backlog of 1024 pending
    /// connections (capped by the kernel's `somaxconn`). Synchronous:
    /// nothing to wait for.
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match listen(addr) {
                Ok(listener) => return TcpListener::from_std(listener),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(super::no_addresses))
    }

    /// Like [`bind`](Self::bind), with `SO_REUSEPORT` set as well: several
    /// listeners — typically one per shard (`evloop::shard`), each on its own
    /// loop — bind the same address, and the kernel spreads incoming
    /// connections between them (on Linux, by a hash of the connection's
    /// addresses and ports). Every listener on the port must set the
    /// option, and (on Linux) belong to the same user.
    ///
    /// Binding port 0 picks a free port; bind the others to the port that
    /// [`local_addr`](Self::local_addr) then reports.
    ///
    /// ```
    /// use evloop::net::TcpListener;
    ///
    /// evloop::run(async {
    ///     let first = TcpListener::bind_reuse_port("127.0.0.1:0").unwrap();
    ///     let port = first.local_addr().unwrap().port();
    ///     // A second listener on the same port: refused without the option.
    ///     let second = TcpListener::bind_reuse_port(("127.0.0.1", port)).unwrap();
    ///     assert_eq!(second.local_addr().unwrap().port(), port);
    ///     assert!(TcpListener::bind(("127.0.0.1", port)).is_err());
    /// });
    /// ```
    ///
    /// # Errors
    /// As [`bind`](Self::bind); and `ErrorKind::Unsupported` on a platform
    /// without `SO_REUSEPORT` (Solaris, illumos, Windows): there, use one
    /// listener and hand accepted connections to the shards.
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn bind_reuse_port(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match listen_reuse_port(addr) {
                Ok(listener) => return TcpListener::from_std(listener),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(super::no_addresses))
    }

    /// Wraps a listening std socket (made non-blocking here).
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: IoSource::new(mio::net::TcpListener::from_std(listener))?,
            acceptors: AcceptQueue::default(),
        })
    }

    /// Waits for the next connection; returns it with the peer's address.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = super::accept::accept(&self.io, &self.acceptors, |l| l.accept()).await?;
        Ok((TcpStream::from_mio(stream)?, addr))
    }

    /// The address the listener is bound to (with the port the OS chose, if
    /// it was bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

/// A listening socket: `SO_REUSEADDR`, bound, backlog [`BACKLOG`].
fn listen(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    listen_with(addr, |_| Ok(()))
}

/// A listening socket with `SO_REUSEPORT` too.
#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))))]
fn listen_reuse_port(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    listen_with(addr, |socket| socket.set_reuse_port(true))
}

/// No `SO_REUSEPORT` on this platform.
#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin")))))]
fn listen_reuse_port(_addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "TcpListener::bind_reuse_port: this platform has no SO_REUSEPORT; \
         bind one listener and hand accepted connections to the shards instead",
    ))
}

/// Creates, configures (`SO_REUSEADDR`, then `options`), binds and listens.
fn listen_with(
    addr: SocketAddr,
    options: impl FnOnce(&socket2::Socket) -> io::Result<()>,
) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    options(&socket)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// How many connections may wait to be accepted (Linux caps it at
/// `net.core.somaxconn`, 4096 by default).
const BACKLOG: i32 = 1024;

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
