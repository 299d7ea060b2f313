//! hyper 1.x on evloop: keep-alive requests, the timer, the executor.
#![cfg(feature = "hyper")]

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use evloop::hyper::{EvloopExecutor, EvloopTimer};
use evloop::net::{TcpListener, TcpStream, UnixStream};
use evloop_test_support::within;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::rt::Executor;
use hyper::{Request, Response};

async fn echo_path(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("you asked for {}", req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

#[test]
fn many_requests_on_one_keep_alive_connection() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .timer(EvloopTimer)
                    .keep_alive(true)
                    .serve_connection(stream, hyper::service::service_fn(echo_path))
                    .await
            });
            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(stream)
                .await
                .unwrap();
            let conn = evloop::spawn(conn);
            for i in 0..50 {
                let req = Request::get(format!("/item/{i}"))
                    .header("host", "localhost")
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                let res = sender.send_request(req).await.unwrap();
                assert_eq!(res.status(), 200);
                let body = res.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(body, format!("you asked for /item/{i}").as_bytes());
            }
            drop(sender);
            conn.await.unwrap().unwrap();
            server.await.unwrap().unwrap();
        });
    });
}

#[test]
fn a_large_body_over_a_unix_stream() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let (a, b) = UnixStream::pair().unwrap();
            let server = evloop::spawn(async move {
                let service = hyper::service::service_fn(|req: Request<Incoming>| async move {
                    let body = req.into_body().collect().await?.to_bytes();
                    Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from(format!("{} bytes", body.len())))))
                });
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(a, service)
                    .await
            });
            let (mut sender, conn) = hyper::client::conn::http1::handshake(b).await.unwrap();
            let _conn = evloop::spawn(conn);
            let req = Request::post("/upload")
                .header("host", "localhost")
                .body(Full::new(Bytes::from(vec![7u8; 3 << 20])))
                .unwrap();
            let res = sender.send_request(req).await.unwrap();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, "3145728 bytes");
            drop(sender);
            server.await.unwrap().unwrap();
        });
    });
}

#[test]
fn the_timer_ends_a_connection_that_never_sends_its_headers() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .timer(EvloopTimer)
                    .header_read_timeout(Duration::from_millis(100))
                    .serve_connection(stream, hyper::service::service_fn(echo_path))
                    .await
            });
            let client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap(); // and no more
            let outcome = evloop::timeout(Duration::from_secs(30), server).await;
            assert!(outcome.is_ok(), "the header read timeout fired");
            let mut buf = [0u8; 256];
            // The server hung up (possibly after a 408 response).
            let mut total = 0;
            loop {
                match client.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
                assert!(total < 4096);
            }
        });
    });
}

#[test]
fn the_executor_spawns_non_send_futures_on_the_loop() {
    evloop::run(async {
        let ran = Rc::new(Cell::new(false));
        let flag = ran.clone();
        EvloopExecutor.execute(async move { flag.set(true) });
        evloop::yield_now().await;
        evloop::yield_now().await;
        assert!(ran.get());
    });
}
