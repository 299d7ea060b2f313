//! `Client`: requests over pooled keep-alive HTTP/1 connections.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, HOST};
use hyper::http::uri::PathAndQuery;
use hyper::{Request, Response, Uri};

use super::builder::{ClientBuilder, Config};
use super::error::Error;
use super::pool::{Conn, InFlight, Pool, RequestBody};
use crate::net::TcpStream;
use crate::BoxError;

/// An HTTP/1 client with a keep-alive connection pool: aiohttp's
/// `ClientSession`, on hyper's client connections and evloop's sockets.
///
/// Connections are pooled per host (`host:port`) and reused: a request
/// takes the most recently used idle connection to its host, or opens a
/// new one. A connection goes back to the pool once its response has been
/// read to the end; one whose request was cancelled (its future dropped)
/// or timed out is closed, never reused. Clones share one pool, so clone
/// the client into the tasks that use it.
///
/// A client belongs to the loop it is used on: its connections are driven
/// by tasks of that loop, and it is `!Send` (an `Rc` inside). Use one
/// client per loop (per shard); building it costs nothing until the first
/// request.
///
/// Only `http://` URIs are supported: this client has no TLS (`https://`
/// fails with an error saying so).
///
/// ```
/// use std::convert::Infallible;
///
/// use evloop::http::Client;
/// use evloop::net::TcpListener;
/// use http_body_util::BodyExt;
///
/// evloop::run(async {
///     // A local server, to have something to talk to.
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let url = format!("http://{}/hello", listener.local_addr().unwrap());
///     let server = evloop::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let service = hyper::service::service_fn(|req: hyper::Request<_>| async move {
///             Ok::<_, Infallible>(hyper::Response::new(format!("you asked for {}", req.uri())))
///         });
///         hyper::server::conn::http1::Builder::new().serve_connection(stream, service).await
///     });
///
///     let client = Client::new();
///     for _ in 0..3 {
///         let response = client.get(&url).await.unwrap();
///         assert_eq!(response.status(), 200);
///         let body = response.into_body().collect().await.unwrap().to_bytes();
///         assert_eq!(body, "you asked for /hello");
///     }
///     drop(client); // closes the pooled connection: the one the server accepted
///     server.await.unwrap().unwrap();
/// });
/// ```
#[derive(Clone)]
pub struct Client {
    pool: Pool,
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]): no limit
    /// on idle connections, 90 s idle timeout, no request or connect
    /// timeout.
    pub fn new() -> Client {
        ClientBuilder::new().build()
    }

    /// Settings for a client: pool limits and timeouts.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn with_config(config: Config) -> Client {
        Client {
            pool: Pool::new(config),
        }
    }

    /// `GET uri`, with an empty body. `uri` is absolute: `http://host[:port]/path?query`.
    pub async fn get(&self, uri: &str) -> Result<Response<Incoming>, Error> {
        let uri: Uri = uri.parse().map_err(|e| Error::invalid_uri_with(uri, e))?;
        let mut request = Request::new(Empty::<Bytes>::new());
        *request.uri_mut() = uri;
        self.request(request).await
    }

    /// Sends `request` and returns the response once its head has arrived;
    /// read the body from `response.into_body()` (for instance with
    /// `http_body_util::BodyExt::collect`).
    ///
    /// The request's URI must be absolute (`http://host[:port]/path`); the
    /// client sets the `Host` header if it is missing and sends the path
    /// and query. Any body hyper accepts will do (`String`, `Full<Bytes>`,
    /// `Empty<Bytes>`, a stream); it need not be `Send`.
    ///
    /// If this future is dropped before it completes, or the
    /// [`timeout`](ClientBuilder::timeout) runs out, the request is
    /// cancelled and its connection closed.
    pub async fn request<B>(&self, request: Request<B>) -> Result<Response<Incoming>, Error>
    where
        B: Body + 'static,
        B::Error: Into<BoxError>,
    {
        let (host, request) = prepare(request)?;
        match self.pool.config().timeout {
            Some(limit) => crate::timeout(limit, self.send(&host, request))
                .await
                .unwrap_or(Err(Error::timeout(limit))),
            None => self.send(&host, request).await,
        }
    }

    async fn send(&self, host: &str, mut request: Request<RequestBody>) -> Result<Response<Incoming>, Error> {
        // A pooled connection may have been closed by the server a moment
        // ago; if hyper hands the request back unsent, try the next one.
        while let Some(conn) = self.pool.checkout(host) {
            let mut in_flight = InFlight::new(conn);
            match in_flight.sender().try_send_request(request).await {
                Ok(response) => {
                    self.pool.checkin(host, in_flight.finish());
                    return Ok(response);
                }
                Err(mut e) => match e.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(Error::request(e.into_error())),
                },
            }
        }
        let mut in_flight = InFlight::new(self.connect(host).await?);
        let response = in_flight.sender().send_request(request).await.map_err(Error::request)?;
        self.pool.checkin(host, in_flight.finish());
        Ok(response)
    }

    /// Opens a connection to `host` (`name:port`) within the connect timeout.
    async fn connect(&self, host: &str) -> Result<Conn, Error> {
        let connecting = async {
            let stream = connect_tcp(host).await.map_err(|e| Error::connect(host, e))?;
            let _ = stream.set_nodelay(true);
            let (sender, connection) = hyper::client::conn::http1::handshake(stream)
                .await
                .map_err(|e| Error::connect(host, e))?;
            let driver = crate::spawn_named(format!("evloop::http connection to {host}"), async move {
                // Its errors reach the request that was in flight, if any.
                let _ = connection.await;
            });
            Ok(Conn::new(sender, driver))
        };
        match self.pool.config().connect_timeout {
            Some(limit) => crate::timeout(limit, connecting)
                .await
                .unwrap_or(Err(Error::connect_timeout(host, limit))),
            None => connecting.await,
        }
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("http::Client")
            .field("config", self.pool.config())
            .field("pooled", &self.pool)
            .finish()
    }
}

/// Checks the URI, sets `Host`, turns the URI into origin form (`/path?q`)
/// and boxes the body. Returns the pool key `host:port` too.
fn prepare<B>(request: Request<B>) -> Result<(String, Request<RequestBody>), Error>
where
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    let (mut parts, body) = request.into_parts();
    let uri = &parts.uri;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(Error::invalid_uri(
                uri,
                "https is not supported: evloop::http::Client speaks plain http:// only (no TLS); \
                 use an http:// URL, or a TLS-terminating proxy",
            ))
        }
        Some(_) => return Err(Error::invalid_uri(uri, "only http:// URIs are supported")),
        None => {
            return Err(Error::invalid_uri(
                uri,
                "the URI must be absolute, with scheme and host: http://host[:port]/path",
            ))
        }
    }
    let authority = match uri.authority() {
        Some(a) if !a.host().is_empty() => a,
        _ => return Err(Error::invalid_uri(uri, "the URI has no host")),
    };
    let host = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
    if !parts.headers.contains_key(HOST) {
        // `host[:port]`, without any `user:password@`.
        let host_and_port = authority.as_str().rsplit('@').next().unwrap_or_default();
        let value = HeaderValue::from_str(host_and_port).map_err(|e| Error::invalid_uri_with(uri, e))?;
        parts.headers.insert(HOST, value);
    }
    // Origin form: the same path and query, without scheme and authority.
    let mut origin_form = std::mem::take(&mut parts.uri).into_parts();
    origin_form.scheme = None;
    origin_form.authority = None;
    if origin_form.path_and_query.is_none() {
        origin_form.path_and_query = Some(PathAndQuery::from_static("/"));
    }
    parts.uri = Uri::from_parts(origin_form).expect("a path and query alone is a valid URI");
    let body: RequestBody = Box::pin(
        body.map_frame(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining())))
            .map_err(Into::into),
    );
    Ok((host, Request::from_parts(parts, body)))
}

/// Connects to `host` (`name:port`): an IP literal directly, a name after
/// resolving it on the blocking pool (the resolver blocks), trying each
/// address in turn.
async fn connect_tcp(host: &str) -> io::Result<TcpStream> {
    let addrs: Vec<SocketAddr> = match host.rsplit_once(':') {
        Some((ip, port)) if ip.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() => {
            let ip: IpAddr = ip.trim_matches(['[', ']']).parse().expect("checked above");
            let port: u16 = port
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad port"))?;
            vec![SocketAddr::new(ip, port)]
        }
        _ => {
            let name = host.to_string();
            crate::to_thread(move || name.to_socket_addrs().map(Vec::from_iter))
                .await
                .map_err(|e| io::Error::other(e.to_string()))??
        }
    };
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "the host resolved to no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}
