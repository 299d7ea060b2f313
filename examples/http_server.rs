//! Hello world over HTTP/1.1 with hyper 1.x on evloop, keep-alive on.
//!
//! ```text
//! cargo run --release --features hyper --example http_server -- --port 8080
//! curl -v http://127.0.0.1:8080/
//! wrk -t1 -c64 -d10s http://127.0.0.1:8080/
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use evloop::hyper::EvloopTimer;
use evloop::net::TcpListener;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
}

fn main() {
    let mut port = 8080u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port P"),
            other => panic!("unknown argument {other:?} (expected --port P)"),
        }
    }
    evloop::run(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
        println!(
            "http_server (evloop) listening on http://{}",
            listener.local_addr().unwrap()
        );
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let _connection = evloop::spawn(async move {
                let served = http1::Builder::new()
                    .timer(EvloopTimer)
                    .keep_alive(true)
                    .serve_connection(stream, service_fn(hello))
                    .await;
                if let Err(e) = served {
                    if !e.is_incomplete_message() {
                        eprintln!("connection: {e}");
                    }
                }
            });
        }
    });
}
