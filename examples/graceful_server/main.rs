//! Graceful shutdown, as in the seed's `AsyncServer`: on SIGINT or SIGTERM
//! the server stops accepting, lets requests in flight finish within a grace
//! period, cancels the rest and exits 0.
//!
//! ```text
//! cargo run --example graceful_server -- --port 7000 --grace-ms 5000
//! printf 'WORK 2000\n' | nc 127.0.0.1 7000 &   # a request in flight
//! kill -TERM <pid>                              # or Ctrl-C
//! ```

mod server;

use std::time::Duration;

fn main() {
    let mut port = 7000u16;
    let mut grace_ms = 5000u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port P"),
            "--grace-ms" => grace_ms = args.next().and_then(|g| g.parse().ok()).expect("--grace-ms MS"),
            other => panic!("unknown argument {other:?} (expected --port P, --grace-ms MS)"),
        }
    }
    let options = server::Options {
        addr: format!("127.0.0.1:{port}"),
        grace: Duration::from_millis(grace_ms),
    };
    if let Err(e) = evloop::run(server::serve(options)) {
        eprintln!("graceful_server: {e}");
        std::process::exit(1);
    }
}
