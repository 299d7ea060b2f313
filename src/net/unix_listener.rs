//! `UnixListener`: accepting Unix domain connections on the loop.

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use super::accept::AcceptQueue;
use evloop_core::reactor::IoSource;

use super::UnixStream;

/// A Unix domain socket listening for connections, registered with the
/// running loop; accepting rides out `EMFILE` like
/// [`TcpListener`](super::TcpListener).
///
/// ```
/// use evloop::net::{UnixListener, UnixStream};
///
/// evloop::run(async {
///     let path = std::env::temp_dir().join(format!("evloop-doc-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path).unwrap();
///     let client = evloop::spawn({
///         let path = path.clone();
///         async move { UnixStream::connect(path).await.unwrap() }
///     });
///     let (server_side, _) = listener.accept().await.unwrap();
///     let client = client.await.unwrap();
///     client.write_all(b"hi").await.unwrap();
///     let mut buf = [0u8; 2];
///     server_side.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
///     std::fs::remove_file(&path).unwrap();
/// });
/// ```
pub struct UnixListener {
    pub(super) io: IoSource<mio::net::UnixListener>,
    /// Tasks waiting in `accept`, served in turn.
    acceptors: AcceptQueue,
}

impl UnixListener {
    /// Binds to `path` and starts listening. The socket file is not removed
    /// when the listener is dropped.
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: IoSource::new(mio::net::UnixListener::bind(path)?)?,
            acceptors: AcceptQueue::default(),
        })
    }

    /// Wraps a listening std socket (made non-blocking here).
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: IoSource::new(mio::net::UnixListener::from_std(listener))?,
            acceptors: AcceptQueue::default(),
        })
    }

    /// Waits for the next connection; returns it with the peer's address.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = super::accept::accept(&self.io, &self.acceptors, |l| l.accept()).await?;
        Ok((UnixStream::from_mio(stream)?, addr))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
