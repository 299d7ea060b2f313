//! Sockets on the loop: TCP, UDP and Unix domain streams.
//!
//! Each type wraps a `mio` socket in an
//! [`IoSource`](crate::reactor::IoSource) registered with the running loop,
//! so each must be created inside one (`evloop::run`, `block_on`). An
//! operation is tried first and waits only when the kernel says
//! `WouldBlock`; readiness is edge-triggered and remembered until an
//! operation consumes it, so no wakeup is lost and nothing busy-loops.
//!
//! Methods take `&self`: one task can read while another writes. The
//! streams implement [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`]
//! and split into owned halves ([`ReadHalf`], [`WriteHalf`]) for two tasks.
//!
//! | asyncio | evloop |
//! |---|---|
//! | `asyncio.start_server` + `reader`/`writer` | [`TcpListener::bind`], [`TcpListener::accept`], [`TcpStream::into_split`] |
//! | `asyncio.open_connection` | [`TcpStream::connect`] |
//! | `writer.write_eof()` | [`TcpStream::shutdown`]`(Shutdown::Write)` |
//! | `loop.create_datagram_endpoint` | [`UdpSocket::bind`] |
//! | `asyncio.start_unix_server` / `open_unix_connection` | [`UnixListener`], [`UnixStream::connect`] |

mod accept;
mod budget;
mod split;
pub(crate) mod stream_io;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix_listener;
mod unix_stream;

pub use split::{ReadHalf, ReuniteError, WriteHalf};
pub use std::net::Shutdown;
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;

/// The error for an address that resolved to nothing.
fn no_addresses() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, "could not resolve to any address")
}

/// `AsRawFd` and `AsFd`, for socket options this module does not wrap
/// (through `socket2` or `libc`). Do not read or write through the
/// descriptor: the loop would miss the readiness change.
macro_rules! impl_as_fd {
    ($($ty:ty),*) => {$(
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }
    )*};
}

impl_as_fd!(TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream);
