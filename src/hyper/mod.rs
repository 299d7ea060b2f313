//! hyper 1.x on evloop (cargo feature `hyper`).
//!
//! - [`hyper::rt::Read`] and
//!   [`Write`](::hyper::rt::Write) are implemented directly for
//!   [`TcpStream`](crate::net::TcpStream) and
//!   [`UnixStream`](crate::net::UnixStream): hand a stream to
//!   `hyper::server::conn::http1::Builder::serve_connection` or
//!   `hyper::client::conn::http1::handshake` as it is. Reads go straight
//!   into hyper's uninitialized buffer, writes are vectored (`writev`).
//! - [`EvloopExecutor`] spawns hyper's background futures as evloop tasks;
//!   they need not be `Send`.
//! - [`EvloopTimer`] gives hyper evloop's timers (header-read timeouts,
//!   keep-alive), on the loop's clock — a paused clock included.
//!
//! ```
//! use std::convert::Infallible;
//! use evloop::net::{TcpListener, TcpStream};
//! use hyper::{body::Incoming, Request, Response};
//!
//! evloop::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     evloop::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let service = hyper::service::service_fn(|_req: Request<Incoming>| async {
//!             Ok::<_, Infallible>(Response::new(String::from("hello")))
//!         });
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(evloop::hyper::EvloopTimer)
//!             .serve_connection(stream, service)
//!             .await
//!             .unwrap();
//!     });
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, String>(stream).await.unwrap();
//!     evloop::spawn(conn);
//!     let req = Request::get("/").header("host", "localhost").body(String::new()).unwrap();
//!     let res = sender.send_request(req).await.unwrap();
//!     assert_eq!(res.status(), 200);
//! });
//! ```

mod executor;
mod io;
mod timer;

pub use executor::EvloopExecutor;
pub use timer::{EvloopTimer, HyperSleep};
