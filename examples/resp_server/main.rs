//! A Redis-protocol (RESP2) server on evloop, to be measured with
//! `redis-benchmark` (see `benches/run_redis_benchmark.sh`).
//!
//! ```text
//! cargo run --release --example resp_server -- --port 6380 --shards 2
//! redis-cli -p 6380 set greeting hello
//! redis-benchmark -p 6380 -t ping,set,get -n 200000 -c 50 -P 16 -q
//! ```
//!
//! PING, ECHO, SET (NX, XX, EX, PX), GET, MGET, DEL, EXISTS, INCR, DECR,
//! INCRBY, DECRBY, DBSIZE, FLUSHALL, QUIT; pipelining (everything buffered
//! is answered with one write, up to a bound on pending output:
//! `connection.rs`); inline commands (`PING\r\n`); malformed input gets
//! `-ERR Protocol error: ...` and the connection goes on. Keys with a time
//! to live are deleted by active expiry (`expiry.rs`) as well as on read,
//! and DBSIZE counts live keys only.
//!
//! `--shards N` runs N loops on N threads (`evloop::shard`), all listening
//! on the port (`SO_REUSEPORT`), each owning the keys that hash to it;
//! commands for another shard's keys hop there and back (`routing.rs`).
//! `--pin` pins shard i to the i-th CPU.
//!
//! `--busy-poll-us N` lets each shard's loop poll for I/O for up to N µs
//! before sleeping in `epoll_wait` (`evloop::Builder::busy_poll`): lower
//! latency for ping-pong clients, at the price of CPU while traffic flows.
//! Off by default.

// The modules' `pub` items are the server's parts, used across modules.
#![allow(unreachable_pub)]

mod commands;
mod connection;
mod expiry;
mod outbox;
mod protocol;
mod routing;
mod server;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::net::TcpListener;
use evloop::shard;

fn main() {
    let mut port = 6380u16;
    let mut shards = 1usize;
    let mut pin = false;
    let options = server::Options::default();
    let mut busy_poll = Duration::ZERO;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port P"),
            "--shards" => {
                shards = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--shards N (N >= 1)")
            }
            "--pin" => pin = true,
            "--busy-poll-us" => {
                let us: u64 = args.next().and_then(|n| n.parse().ok()).expect("--busy-poll-us N");
                busy_poll = Duration::from_micros(us);
            }
            other => panic!("unknown argument {other:?} (expected --port P, --shards N, --pin, --busy-poll-us N)"),
        }
    }
    // Shard 0 binds first (port 0 picks a free port); the others bind the
    // port it got.
    let bound_port = Arc::new(AtomicU16::new(0));
    let shards = shard::Builder::new(shards)
        .pin_to_cores(pin)
        .loop_builder(move || evloop::EventLoop::builder().busy_poll(busy_poll));
    shards.run(move |me| {
        let (options, bound_port) = (options.clone(), bound_port.clone());
        async move {
            let listener = if me.index() == 0 {
                let listener = TcpListener::bind_reuse_port(("127.0.0.1", port)).expect("bind");
                let addr = listener.local_addr().unwrap();
                bound_port.store(addr.port(), Ordering::SeqCst);
                println!("resp_server: {} shard(s)", me.count());
                println!("resp_server listening on {addr}");
                listener
            } else {
                while bound_port.load(Ordering::SeqCst) == 0 {
                    evloop::sleep(Duration::from_millis(1)).await;
                }
                TcpListener::bind_reuse_port(("127.0.0.1", bound_port.load(Ordering::SeqCst))).expect("bind")
            };
            let shared = server::start_shard(Some(me), &options);
            server::accept_loop(listener, shared).await;
        }
    });
}
