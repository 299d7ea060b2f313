//! The seeds' HTTP clients on `evloop::http::Client` (aiohttp's
//! `ClientSession`), against a local hyper server this example starts on the
//! same loop:
//!
//! * `fetch_all`: one session, `gather` over `fetch_url` (tutorial: HTTP
//!   Client with aiohttp);
//! * `rate_limited_fetch`: a `RateLimiter`, at most 5 requests in any window
//!   (tutorial: Rate-Limited API Client);
//! * `RateLimitedClient`: a `Semaphore` of 5 around each request,
//!   `fetch_many` as a task group (guide: Semaphore for Rate Limiting);
//! * `AsyncPaginator`: pages fetched one request at a time, as a `Stream`
//!   (tutorial: Async Iterator).
//!
//! The client keeps connections alive and reuses them; the server counts the
//! connections it accepted, printed at the end. The seeds' one-second windows
//! and delays are scaled down.
//!
//! ```text
//! cargo run --features hyper --example http_fetch
//! ```

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use evloop::http::Client;
use evloop::net::TcpListener;
use evloop::sync::{RateLimiter, Semaphore};
use evloop::{gather, task_group, BoxError, ErrorGroup};
use futures::{Stream, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// The local "API"
// ---------------------------------------------------------------------------

/// What the server saw.
#[derive(Default)]
struct ServerStats {
    connections: Cell<usize>,
    in_flight: Cell<usize>,
    most_in_flight: Cell<usize>,
}

/// `/users/{name}`, `/items/{id}` (after `id % 7` ms) and
/// `/items?page={n}` (5 pages of 10 items); anything else is a 404.
async fn api(req: Request<Incoming>, stats: Rc<ServerStats>) -> Result<Response<Full<Bytes>>, Infallible> {
    stats.in_flight.set(stats.in_flight.get() + 1);
    stats
        .most_in_flight
        .set(stats.most_in_flight.get().max(stats.in_flight.get()));
    let path = req.uri().path();
    let body = if let Some(name) = path.strip_prefix("/users/") {
        Some(json!({ "login": name, "public_repos": name.len() * 7 }))
    } else if let Some(id) = path.strip_prefix("/items/").and_then(|id| id.parse::<u64>().ok()) {
        evloop::sleep(Duration::from_millis(id % 7)).await;
        Some(json!({ "id": id, "name": format!("item-{id}") }))
    } else if path == "/items" {
        let page: u32 = req
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("page="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let items: Vec<String> = (0..10).map(|i| format!("item-{}", (page - 1) * 10 + i)).collect();
        Some(json!({ "page": page, "items": items, "has_more": page < 5 }))
    } else {
        None
    };
    stats.in_flight.set(stats.in_flight.get() - 1);
    Ok(match body {
        Some(body) => Response::new(Full::new(Bytes::from(body.to_string()))),
        None => {
            let mut res = Response::new(Full::new(Bytes::from_static(b"{}")));
            *res.status_mut() = StatusCode::NOT_FOUND;
            res
        }
    })
}

async fn serve(listener: TcpListener, stats: Rc<ServerStats>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        stats.connections.set(stats.connections.get() + 1);
        let stats = stats.clone();
        let _connection = evloop::spawn(async move {
            let service = hyper::service::service_fn(move |req| api(req, stats.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(stream, service)
                .await;
        });
    }
}

// ---------------------------------------------------------------------------
// fetch_all (tutorial: HTTP Client with aiohttp)
// ---------------------------------------------------------------------------

/// The seed's `{"url": ..., "status": ..., "data": ...}`.
#[derive(Debug)]
struct Fetched {
    url: String,
    status: StatusCode,
    data: Value,
}

/// `async with session.get(url) as response: ... await response.json()`
async fn fetch_url(session: &Client, url: String) -> Result<Fetched, BoxError> {
    let response = session.get(&url).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok(Fetched {
        url,
        status,
        data: serde_json::from_slice(&body)?,
    })
}

/// `async with aiohttp.ClientSession() as session: return await gather(...)`
async fn fetch_all(urls: Vec<String>) -> Vec<Result<Fetched, BoxError>> {
    let session = Client::new();
    gather(urls.into_iter().map(|url| fetch_url(&session, url))).await
    // The session is dropped here: its idle connections close.
}

// ---------------------------------------------------------------------------
// rate_limited_fetch (tutorial: Rate-Limited API Client)
// ---------------------------------------------------------------------------

/// `await limiter.acquire()`, then the request; prints when it started
/// (since `start`).
async fn rate_limited_fetch(
    limiter: &RateLimiter,
    client: &Client,
    url: String,
    start: Instant,
) -> Result<Fetched, BoxError> {
    limiter.acquire().await;
    let path = url.find("/items/").map_or(url.as_str(), |at| &url[at..]);
    println!("t={:>3}ms Fetching {path}", (evloop::time() - start).as_millis());
    fetch_url(client, url).await
}

// ---------------------------------------------------------------------------
// RateLimitedClient (guide: Semaphore for Rate Limiting)
// ---------------------------------------------------------------------------

/// At most `max_concurrent` requests in flight, on one pooled client.
struct RateLimitedClient {
    semaphore: Semaphore,
    client: Client,
}

impl RateLimitedClient {
    fn new(max_concurrent: usize) -> Rc<Self> {
        Rc::new(RateLimitedClient {
            semaphore: Semaphore::new(max_concurrent),
            client: Client::new(),
        })
    }

    /// `async with self.semaphore: response = await self.client.get(url)`
    async fn fetch(&self, url: String) -> Result<Value, BoxError> {
        let _permit = self.semaphore.acquire().await;
        Ok(fetch_url(&self.client, url).await?.data)
    }

    /// `async with asyncio.TaskGroup() as tg: ...`: all or nothing.
    async fn fetch_many(self: &Rc<Self>, urls: Vec<String>) -> Result<Vec<Value>, ErrorGroup> {
        task_group(|tg| async move {
            let tasks: Vec<_> = urls
                .into_iter()
                .map(|url| {
                    let this = self.clone();
                    tg.spawn(async move { this.fetch(url).await })
                })
                .collect();
            let mut results = Vec::with_capacity(tasks.len());
            for task in tasks {
                results.push(task.await.map_err(|e| e.to_string())?);
            }
            Ok::<_, BoxError>(results)
        })
        .await
    }
}

// ---------------------------------------------------------------------------
// AsyncPaginator (tutorial: Async Iterator), over HTTP
// ---------------------------------------------------------------------------

/// `async for page in AsyncPaginator(url)`: one request per page, made only
/// when the consumer asks for the next page; ends after the page whose
/// `has_more` is false.
fn paginate(client: Client, url: String) -> impl Stream<Item = Result<Value, BoxError>> {
    futures::stream::unfold(Some(1u32), move |next| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let page = next?;
            let fetched = fetch_url(&client, format!("{url}?page={page}")).await;
            let more = match &fetched {
                Ok(f) => f.data["has_more"].as_bool().unwrap_or(false),
                Err(_) => false, // stop after an error
            };
            Some((fetched.map(|f| f.data), more.then_some(page + 1)))
        }
    })
}

fn main() {
    evloop::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stats = Rc::new(ServerStats::default());
        let _server = evloop::spawn(serve(listener, stats.clone()));

        println!("== fetch_all: one session, three URLs");
        let urls = ["python", "microsoft", "google"].map(|user| format!("{base}/users/{user}"));
        for result in fetch_all(urls.to_vec()).await {
            match result {
                Ok(r) => println!("{}: {} {}", r.url.trim_start_matches(&base), r.status.as_u16(), r.data),
                Err(e) => println!("error: {e}"),
            }
        }

        println!("== rate_limited_fetch: 20 URLs, at most 5 in any 100 ms");
        let limiter = RateLimiter::new(5, Duration::from_millis(100));
        let client = Client::new();
        let start = evloop::time();
        let fetched =
            gather((0..20).map(|i| rate_limited_fetch(&limiter, &client, format!("{base}/items/{i}"), start))).await;
        let ok = fetched.iter().filter(|r| r.is_ok()).count();
        println!("{ok} of 20 fetched in {:.1?}", evloop::time() - start);

        println!("== RateLimitedClient: 100 URLs, 5 at a time");
        let before = stats.connections.get();
        stats.most_in_flight.set(0);
        let client = RateLimitedClient::new(5);
        let urls: Vec<String> = (0..100).map(|i| format!("{base}/items/{i}")).collect();
        match client.fetch_many(urls).await {
            Ok(items) => {
                println!("Fetched {} items, the last: {}", items.len(), items[99]);
                println!(
                    "at most {} requests in flight, over {} connection(s)",
                    stats.most_in_flight.get(),
                    stats.connections.get() - before
                );
            }
            Err(errors) => println!("fetch_many failed: {errors}"),
        }

        println!("== AsyncPaginator over HTTP");
        let mut pages = std::pin::pin!(paginate(Client::new(), format!("{base}/items")));
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => println!(
                    "Page {}: {} items",
                    page["page"],
                    page["items"].as_array().map_or(0, Vec::len)
                ),
                Err(e) => println!("error: {e}"),
            }
        }

        println!(
            "the server accepted {} connection(s) for 128 requests",
            stats.connections.get()
        );
    });
}
