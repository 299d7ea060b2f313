//! `UdpSocket`: datagrams on the loop.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use std::future::poll_fn;
use std::task::ready;

use evloop_core::reactor::{Direction, IoSource};

use super::budget::Budget;

/// A UDP socket registered with the running loop.
///
/// Like the streams, every method takes `&self`: one task may receive while
/// another sends.
///
/// ```
/// use evloop::net::UdpSocket;
///
/// evloop::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").unwrap();
///     a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    pub(super) io: IoSource<mio::net::UdpSocket>,
    budget: Budget,
}

impl UdpSocket {
    /// Binds to `addr` (the first resolved address that works).
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match mio::net::UdpSocket::bind(addr) {
                Ok(socket) => {
                    return Ok(UdpSocket {
                        io: IoSource::new(socket)?,
                        budget: Budget::default(),
                    })
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(super::no_addresses))
    }

    /// Wraps a bound std socket (made non-blocking here).
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: IoSource::new(mio::net::UdpSocket::from_std(socket))?,
            budget: Budget::default(),
        })
    }

    /// Sends one datagram to `target` (its first resolved address).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = target.to_socket_addrs()?.next().ok_or_else(super::no_addresses)?;
        self.io(Direction::Write, |s| s.send_to(buf, target)).await
    }

    /// Receives one datagram; returns its length (truncated to `buf`) and
    /// sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// Sets the default destination for [`send`](Self::send) and the only
    /// source [`recv`](Self::recv) accepts. Synchronous, like std's.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match self.io.get_ref().connect(addr) {
                Ok(()) => return Ok(()),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(super::no_addresses))
    }

    /// Sends one datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Runs `op` when `dir` is ready, within the socket's budget (see
    /// `net/budget.rs`): a socket that never runs dry yields now and then.
    async fn io<R>(&self, dir: Direction, mut op: impl FnMut(&mio::net::UdpSocket) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| {
            ready!(self.budget.poll_proceed(cx));
            self.budget.record(self.io.poll_io(dir, cx, &mut op))
        })
        .await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Allows (or forbids) sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Takes the socket's pending error (`SO_ERROR`), such as an ICMP "port
    /// unreachable" reported for an earlier send.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
