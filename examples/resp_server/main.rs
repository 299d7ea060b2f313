//! A Redis-protocol (RESP2) server on evloop, to be measured with
//! `redis-benchmark` (see `benches/run_redis_benchmark.sh`).
//!
//! ```text
//! cargo run --release --example resp_server -- --port 6380
//! redis-cli -p 6380 set greeting hello
//! redis-benchmark -p 6380 -t ping,set,get -n 200000 -c 50 -P 16 -q
//! ```
//!
//! PING, ECHO, SET (NX, XX, EX, PX), GET, DEL, EXISTS, INCR, DECR, INCRBY,
//! DECRBY, DBSIZE, FLUSHALL, QUIT; pipelining (everything buffered is
//! answered with one write); inline commands (`PING\r\n`); malformed input
//! gets `-ERR Protocol error: ...` and the connection goes on.
//!
//! `--busy-poll-us N` keeps the loop polling for N µs after each request
//! instead of sleeping in `epoll_wait` (see `busy_poll.rs`): lower latency
//! for ping-pong clients, at the price of a busy core. Off by default.

// The modules' `pub` items are the server's parts, used across modules.
#![allow(unreachable_pub)]

mod busy_poll;
mod commands;
mod connection;
mod protocol;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use evloop::net::TcpListener;

fn main() {
    let mut port = 6380u16;
    let mut busy_poll_us = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port P"),
            "--busy-poll-us" => busy_poll_us = args.next().and_then(|n| n.parse().ok()).expect("--busy-poll-us N"),
            other => panic!("unknown argument {other:?} (expected --port P, --busy-poll-us N)"),
        }
    }
    evloop::run(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
        println!("resp_server listening on {}", listener.local_addr().unwrap());
        let store = Rc::new(RefCell::new(commands::Store::new()));
        let busy = (busy_poll_us > 0).then(|| busy_poll::BusyPoll::start(Duration::from_micros(busy_poll_us)));
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let (store, busy) = (store.clone(), busy.clone());
            let _connection = evloop::spawn(async move {
                if let Err(e) = connection::serve(stream, store, busy).await {
                    if e.kind() != std::io::ErrorKind::ConnectionReset {
                        eprintln!("connection: {e}");
                    }
                }
            });
        }
    });
}
