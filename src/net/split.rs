//! Owned read and write halves of a stream, for two tasks.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// The reading half of a [`TcpStream`](super::TcpStream) or
/// [`UnixStream`](super::UnixStream), from `into_split`.
///
/// ```
/// use evloop::net::UnixStream;
///
/// evloop::run(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     let (read, write) = a.into_split();
///     let writer = evloop::spawn(async move { write.write_all(b"hi").await });
///     b.write_all(b"yo").await.unwrap();
///     let mut buf = [0u8; 2];
///     read.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"yo");
///     writer.await.unwrap().unwrap();
/// });
/// ```
pub struct ReadHalf<T> {
    stream: Rc<T>,
}

/// The writing half of a [`TcpStream`](super::TcpStream) or
/// [`UnixStream`](super::UnixStream), from `into_split`.
///
/// Dropping it shuts the stream's writing side down (the peer reads
/// end-of-stream) even while the read half lives on.
pub struct WriteHalf<T> {
    stream: Rc<T>,
    shutdown: fn(&T) -> io::Result<()>,
    shut_on_drop: bool,
}

pub(crate) fn split<T>(stream: Rc<T>, shutdown: fn(&T) -> io::Result<()>) -> (ReadHalf<T>, WriteHalf<T>) {
    let write = WriteHalf {
        stream: stream.clone(),
        shutdown,
        shut_on_drop: true,
    };
    (ReadHalf { stream }, write)
}

impl<T> ReadHalf<T> {
    /// The whole stream, for its addresses and socket options.
    pub fn stream(&self) -> &T {
        &self.stream
    }

    /// Puts the halves back together; fails (handing both back) if they
    /// come from different streams.
    pub fn reunite(self, mut write: WriteHalf<T>) -> Result<T, ReuniteError<T>> {
        if !Rc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shut_on_drop = false;
        drop(write);
        match Rc::try_unwrap(self.stream) {
            Ok(stream) => Ok(stream),
            Err(_) => unreachable!("a stream is shared by exactly its two halves"),
        }
    }
}

impl<T> ReadHalf<T>
where
    for<'a> &'a T: AsyncRead,
{
    /// Reads into `buf`; `Ok(0)` at end of stream.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut stream = &*self.stream;
        poll_fn(|cx| Pin::new(&mut stream).poll_read(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the peer closes
    /// first.
    pub async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }
}

impl<T> WriteHalf<T> {
    /// The whole stream, for its addresses and socket options.
    pub fn stream(&self) -> &T {
        &self.stream
    }

    /// Shuts the writing side down now (the peer reads end-of-stream).
    pub fn shutdown(&self) -> io::Result<()> {
        (self.shutdown)(&self.stream)
    }
}

impl<T> WriteHalf<T>
where
    for<'a> &'a T: AsyncWrite,
{
    /// Writes some of `buf`; returns how many bytes were taken.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let mut stream = &*self.stream;
        poll_fn(|cx| Pin::new(&mut stream).poll_write(cx, buf)).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

impl<T> Drop for WriteHalf<T> {
    fn drop(&mut self) {
        if self.shut_on_drop {
            // The peer may already be gone; nothing to report then.
            let _ = (self.shutdown)(&self.stream);
        }
    }
}

impl<T> AsyncRead for ReadHalf<T>
where
    for<'a> &'a T: AsyncRead,
{
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut stream = &*self.stream;
        Pin::new(&mut stream).poll_read(cx, buf)
    }
}

impl<T> AsyncWrite for WriteHalf<T>
where
    for<'a> &'a T: AsyncWrite,
{
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut stream = &*self.stream;
        Pin::new(&mut stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut stream = &*self.stream;
        Pin::new(&mut stream).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut stream = &*self.stream;
        Pin::new(&mut stream).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown())
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadHalf").field(&self.stream).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteHalf").field(&self.stream).finish()
    }
}

/// The halves given to [`ReadHalf::reunite`] came from different streams;
/// here they are back.
pub struct ReuniteError<T>(pub ReadHalf<T>, pub WriteHalf<T>);

impl<T> fmt::Debug for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<T> fmt::Display for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves of two different streams")
    }
}

impl<T> std::error::Error for ReuniteError<T> {}
