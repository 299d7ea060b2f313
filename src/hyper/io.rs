//! `hyper::rt::Read` and `Write` for the evloop streams.

use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::net::stream_io;
use crate::net::{TcpStream, UnixStream};

macro_rules! impl_hyper_io {
    ($($ty:ty),*) => {$(
        impl ::hyper::rt::Read for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                mut buf: ::hyper::rt::ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                // SAFETY: the bytes are only ever written by recv(2) (never
                // de-initialized), and exactly the `n` bytes it wrote are
                // marked filled below.
                let unfilled = unsafe { buf.as_mut() };
                let n = ready!(stream_io::poll_read_uninit(self.source(), cx, unfilled))?;
                // SAFETY: recv(2) initialized the first `n` bytes.
                unsafe { buf.advance(n) };
                Poll::Ready(Ok(()))
            }
        }

        impl ::hyper::rt::Write for $ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                stream_io::poll_write(self.source(), cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                stream_io::poll_write_vectored(self.source(), cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // hyper shuts down after the peer went away too: a socket
                // that is no longer connected is as shut down as it gets.
                match self.shutdown(Shutdown::Write) {
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
                    other => Poll::Ready(other),
                }
            }
        }
    )*};
}

impl_hyper_io!(TcpStream, UnixStream);
