//! evloop::http::Client against a local hyper server on the same loop:
//! keep-alive reuse (accepts counted on the server side), no reuse after a
//! cancelled or timed-out request, timeouts on the paused clock, errors.
#![cfg(feature = "hyper")]

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use evloop::http::Client;
use evloop::net::TcpListener;
use evloop::sync::Semaphore;
use evloop::Task;
use evloop_test_support::{paused, within};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

/// A hyper server on the running loop that counts the connections it
/// accepted and the ones that ended.
///
/// `/slow/{ms}` answers after `ms` milliseconds, `/big/{bytes}` sends that
/// many bytes, `/echo` sends the request body back, anything else answers
/// `ok {path}`.
struct Server {
    base: String,
    accepted: Rc<Cell<usize>>,
    closed: Rc<Cell<usize>>,
    task: Task<()>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Rc::new(Cell::new(0));
        let closed = Rc::new(Cell::new(0));
        let task = {
            let (accepted, closed) = (accepted.clone(), closed.clone());
            evloop::spawn(async move {
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    accepted.set(accepted.get() + 1);
                    let closed = closed.clone();
                    let _connection = evloop::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(stream, hyper::service::service_fn(route))
                            .await;
                        closed.set(closed.get() + 1);
                    });
                }
            })
        };
        Server {
            base,
            accepted,
            closed,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn accepted(&self) -> usize {
        self.accepted.get()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.cancel();
    }
}

async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let body = if let Some(ms) = path.strip_prefix("/slow/") {
        evloop::sleep(Duration::from_millis(ms.parse().unwrap())).await;
        Bytes::from_static(b"slow")
    } else if let Some(n) = path.strip_prefix("/big/") {
        Bytes::from(vec![b'x'; n.parse().unwrap()])
    } else if path == "/echo" {
        req.into_body().collect().await.unwrap().to_bytes()
    } else {
        Bytes::from(format!("ok {path}"))
    };
    Ok(Response::new(Full::new(body)))
}

async fn text(client: &Client, url: &str) -> String {
    let response = client.get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// Lets the loop run the connection tasks (closes, EOFs) for a few ticks.
async fn settle() {
    for _ in 0..10 {
        evloop::yield_now().await;
    }
}

#[test]
fn sequential_requests_reuse_one_connection() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let server = Server::start();
            let client = Client::new();
            for i in 0..20 {
                assert_eq!(
                    text(&client, &server.url(&format!("/n/{i}"))).await,
                    format!("ok /n/{i}")
                );
            }
            // A clone shares the pool.
            assert_eq!(text(&client.clone(), &server.url("/clone")).await, "ok /clone");
            assert_eq!(server.accepted(), 1, "one keep-alive connection for everything");
        });
    });
}

#[test]
fn five_hundred_requests_at_twenty_in_flight_are_all_answered_on_at_most_twenty_connections() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let server = Server::start();
            let client = Client::new();
            let in_flight = Rc::new(Semaphore::new(20));
            let answers = evloop::gather((0..500).map(|i| {
                let (client, in_flight, url) = (client.clone(), in_flight.clone(), server.url(&format!("/r/{i}")));
                async move {
                    let _permit = in_flight.acquire().await;
                    text(&client, &url).await
                }
            }))
            .await;
            for (i, answer) in answers.iter().enumerate() {
                assert_eq!(answer, &format!("ok /r/{i}"));
            }
            assert!(
                (1..=20).contains(&server.accepted()),
                "{} connections for 20 in flight",
                server.accepted()
            );
        });
    });
}

#[test]
fn a_timed_out_request_closes_its_connection_and_it_is_not_reused() {
    paused().block_on(async {
        let server = Server::start();
        let client = Client::builder().timeout(Duration::from_millis(100)).build();
        assert_eq!(text(&client, &server.url("/first")).await, "ok /first");
        assert_eq!(server.accepted(), 1);

        let start = evloop::time();
        let err = client.get(&server.url("/slow/1000")).await.unwrap_err();
        assert!(err.is_timeout() && !err.is_connect(), "{err}");
        assert_eq!(evloop::time() - start, Duration::from_millis(100));
        assert!(err.to_string().contains("timed out after 100ms"), "{err}");
        settle().await;
        assert_eq!(server.closed.get(), 1, "the timed-out connection was closed");

        assert_eq!(text(&client, &server.url("/after")).await, "ok /after");
        assert_eq!(
            server.accepted(),
            2,
            "a new connection: the timed-out one was not reused"
        );
        // That one is reused as usual.
        assert_eq!(text(&client, &server.url("/again")).await, "ok /again");
        assert_eq!(server.accepted(), 2);
    });
}

#[test]
fn a_cancelled_request_closes_its_connection_and_it_is_not_reused() {
    paused().block_on(async {
        let server = Server::start();
        let client = Client::new();
        assert_eq!(text(&client, &server.url("/first")).await, "ok /first");

        // The request loses a race and is dropped mid-flight.
        let winner = evloop::select! {
            _ = client.get(&server.url("/slow/1000")) => "request",
            _ = evloop::sleep(Duration::from_millis(10)) => "timer",
        };
        assert_eq!(winner, "timer");
        // Cancelling the task that awaits a request works the same way.
        let task = {
            let (client, url) = (client.clone(), server.url("/slow/1000"));
            evloop::spawn(async move { client.get(&url).await.map(|r| r.status()) })
        };
        evloop::sleep(Duration::from_millis(10)).await;
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        settle().await;
        assert_eq!(server.accepted(), 2, "the task's request needed a new connection");
        assert_eq!(server.closed.get(), 2, "both cancelled connections were closed");

        assert_eq!(text(&client, &server.url("/after")).await, "ok /after");
        assert_eq!(server.accepted(), 3);
    });
}

#[test]
fn a_body_dropped_half_read_is_not_reused_and_a_finished_one_is() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let server = Server::start();
            let client = Client::new();
            let response = client.get(&server.url("/big/4000000")).await.unwrap();
            let mut body = response.into_body();
            let first = body.frame().await.unwrap().unwrap();
            assert!(first.is_data());
            drop(body);
            settle().await;
            assert_eq!(text(&client, &server.url("/next")).await, "ok /next");
            assert_eq!(server.accepted(), 2, "the half-read connection was not reused");

            let big = client.get(&server.url("/big/4000000")).await.unwrap();
            assert_eq!(big.into_body().collect().await.unwrap().to_bytes().len(), 4_000_000);
            assert_eq!(text(&client, &server.url("/last")).await, "ok /last");
            assert_eq!(server.accepted(), 2, "a body read to the end frees its connection");
        });
    });
}

#[test]
fn idle_connections_close_after_idle_timeout() {
    paused().block_on(async {
        let server = Server::start();
        let client = Client::builder().idle_timeout(Duration::from_secs(10)).build();
        assert_eq!(text(&client, &server.url("/a")).await, "ok /a");
        evloop::sleep(Duration::from_secs(4)).await;
        assert_eq!(text(&client, &server.url("/b")).await, "ok /b");
        assert_eq!(server.accepted(), 1, "idle for 4 s: reused");

        evloop::sleep(Duration::from_secs(16)).await;
        settle().await;
        assert_eq!(server.closed.get(), 1, "the sweeper closed the idle connection");
        assert_eq!(text(&client, &server.url("/c")).await, "ok /c");
        assert_eq!(server.accepted(), 2);
    });
}

#[test]
fn max_idle_per_host_bounds_what_the_pool_keeps() {
    paused().block_on(async {
        let server = Server::start();
        let client = Client::builder().max_idle_per_host(2).build();
        let five = || {
            evloop::gather((0..5).map(|i| {
                let (client, url) = (client.clone(), server.url(&format!("/slow/{}", 10 + i)));
                async move { text(&client, &url).await }
            }))
        };
        five().await;
        assert_eq!(server.accepted(), 5);
        settle().await;
        assert_eq!(server.closed.get(), 3, "two idle connections kept, three closed");
        five().await;
        assert_eq!(server.accepted(), 8, "two reused, three new");

        let no_pool = Client::builder().max_idle_per_host(0).build();
        text(&no_pool, &server.url("/x")).await;
        text(&no_pool, &server.url("/y")).await;
        assert_eq!(server.accepted(), 10, "max_idle_per_host(0): a connection per request");
    });
}

#[test]
fn any_body_goes_and_the_host_header_is_set() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let server = Server::start();
            let client = Client::new();
            let request = Request::post(server.url("/echo"))
                .body(String::from("a string body"))
                .unwrap();
            let response = client.request(request).await.unwrap();
            assert_eq!(
                response.into_body().collect().await.unwrap().to_bytes(),
                "a string body"
            );

            let request = Request::post(server.url("/echo"))
                .body(Full::new(Bytes::from_static(b"bytes")))
                .unwrap();
            let response = client.request(request).await.unwrap();
            assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "bytes");
            assert_eq!(server.accepted(), 1);
        });
    });
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    evloop::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener); // nobody listens there now
        let client = Client::builder().connect_timeout(Duration::from_secs(5)).build();
        let err = client.get(&format!("http://{addr}/")).await.unwrap_err();
        assert!(err.is_connect() && !err.is_timeout(), "{err:?}");
        assert!(
            err.to_string().contains(&format!("could not connect to {addr}")),
            "{err}"
        );
        assert!(std::error::Error::source(&err).is_some(), "the io::Error is the source");
    });
}

#[test]
fn https_and_relative_uris_are_refused_with_a_clear_error() {
    evloop::run(async {
        let client = Client::new();
        let err = client.get("https://example.invalid/").await.unwrap_err();
        assert!(err.is_invalid_uri() && !err.is_connect(), "{err:?}");
        assert!(err.to_string().contains("https is not supported"), "{err}");
        assert!(err.to_string().contains("http:// only"), "{err}");

        let err = client.get("/just/a/path").await.unwrap_err();
        assert!(err.to_string().contains("must be absolute"), "{err}");
        let err = client.get("not a uri").await.unwrap_err();
        assert!(err.is_invalid_uri(), "{err:?}");
    });
}

#[test]
fn a_body_can_be_read_after_the_client_is_dropped() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let server = Server::start();
            let response = Client::new().get(&server.url("/big/1000000")).await.unwrap();
            // The temporary client (and its pool) is gone; the connection
            // finishes the body, then closes.
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body.len(), 1_000_000);
            settle().await;
            assert_eq!(server.closed.get(), 1);
        });
    });
}

#[test]
fn a_client_that_outlives_its_loop_drops_quietly() {
    let client = evloop::run(async {
        let server = Server::start();
        let client = Client::new();
        assert_eq!(text(&client, &server.url("/")).await, "ok /");
        assert!(format!("{client:?}").contains("pooled"));
        client // with a pooled connection whose task the closing loop dropped
    });
    drop(client);
}
