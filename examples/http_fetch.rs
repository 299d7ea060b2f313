//! The seeds' `fetch_all` and `RateLimitedClient` over real HTTP: hyper's
//! client and server on one evloop loop. A local server answers
//! `/items/{id}` after a delay that varies per item; the client fetches 30
//! URLs with at most 5 requests in flight (a `Semaphore`) and at most 20
//! started per second (a `RateLimiter`), printing each result as it
//! completes (`as_completed`), then fetches them again as a `task_group`
//! (`fetch_many`, the seed's `asyncio.TaskGroup`).
//!
//! ```text
//! cargo run --features hyper --example http_fetch
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use evloop::hyper::EvloopTimer;
use evloop::net::{TcpListener, TcpStream};
use evloop::sync::{RateLimiter, Semaphore};
use evloop::{as_completed, task_group, BoxError, ErrorGroup};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

/// The local "API": `/items/{id}` answers a small JSON object after
/// `(id % 7) * 15` ms; anything else is a 404.
async fn api(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let id = req
        .uri()
        .path()
        .strip_prefix("/items/")
        .and_then(|id| id.parse::<u64>().ok());
    let Some(id) = id else {
        let mut res = Response::new(Full::new(Bytes::from_static(b"not found")));
        *res.status_mut() = StatusCode::NOT_FOUND;
        return Ok(res);
    };
    evloop::sleep(Duration::from_millis((id % 7) * 15)).await;
    let body = format!("{{\"id\": {id}, \"name\": \"item-{id}\"}}");
    Ok(Response::new(Full::new(Bytes::from(body))))
}

async fn serve(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _connection = evloop::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(EvloopTimer)
                .serve_connection(stream, hyper::service::service_fn(api))
                .await;
        });
    }
}

/// One response.
#[derive(Debug)]
struct Fetched {
    path: String,
    status: StatusCode,
    body: Bytes,
}

/// The seed's `RateLimitedClient`: a concurrency cap and a rate cap.
struct RateLimitedClient {
    addr: SocketAddr,
    in_flight: Semaphore,
    rate: RateLimiter,
}

impl RateLimitedClient {
    fn new(addr: SocketAddr, max_concurrent: usize, rate: RateLimiter) -> Rc<Self> {
        Rc::new(RateLimitedClient {
            addr,
            in_flight: Semaphore::new(max_concurrent),
            rate,
        })
    }

    /// `async with self.semaphore: response = await self.client.get(url)`
    async fn fetch(&self, path: String) -> Result<Fetched, BoxError> {
        let _permit = self.in_flight.acquire().await;
        self.rate.acquire().await;
        let stream = TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(stream).await?;
        let connection = evloop::spawn(connection);
        let request = Request::get(path.as_str())
            .header(hyper::header::HOST, "127.0.0.1")
            .body(Empty::new())?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        connection.cancel(); // one request per connection: close it
        Ok(Fetched { path, status, body })
    }

    /// `async with asyncio.TaskGroup() as tg: ...`: all or nothing.
    async fn fetch_many(self: &Rc<Self>, paths: Vec<String>) -> Result<Vec<Fetched>, ErrorGroup> {
        let client = self.clone();
        task_group(|group| async move {
            let tasks: Vec<_> = paths
                .into_iter()
                .map(|path| {
                    let client = client.clone();
                    group.spawn(async move { client.fetch(path).await })
                })
                .collect();
            let mut fetched = Vec::with_capacity(tasks.len());
            for task in tasks {
                fetched.push(task.await.map_err(|e| e.to_string())?);
            }
            Ok::<_, BoxError>(fetched)
        })
        .await
    }
}

fn main() {
    evloop::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        let _server = evloop::spawn(serve(listener));

        let client = RateLimitedClient::new(addr, 5, RateLimiter::new(20, Duration::from_secs(1)));
        let paths: Vec<String> = (1..=30).map(|i| format!("/items/{i}")).collect();

        println!("fetch_all: {} URLs, 5 at a time, at most 20 per second", paths.len());
        let start = evloop::time();
        let mut results = as_completed(paths.iter().cloned().map(|path| {
            let client = client.clone();
            async move { client.fetch(path).await }
        }));
        let mut ok = 0;
        while let Some(result) = results.next().await {
            let at = evloop::time() - start;
            match result {
                Ok(f) => {
                    ok += 1;
                    let body = String::from_utf8_lossy(&f.body);
                    println!("{:>7.1?}  {:<10} {} {body}", at, f.path, f.status.as_u16());
                }
                Err(e) => println!("{at:>7.1?}  error: {e}"),
            }
        }
        println!("{ok} of {} fetched in {:.2?}", paths.len(), evloop::time() - start);

        let start = evloop::time();
        match client.fetch_many(paths).await {
            Ok(items) => println!(
                "fetch_many: fetched {} items in {:.2?}, all {}",
                items.len(),
                evloop::time() - start,
                if items.iter().all(|f| f.status == StatusCode::OK) {
                    "200 OK"
                } else {
                    "not OK"
                }
            ),
            Err(errors) => println!("fetch_many failed: {errors}"),
        }
    });
}
