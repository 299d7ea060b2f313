//! A chat server: every line a client sends reaches every client. It shows
//! `sync::broadcast` as the hub, a bounded queue per client with slow-client
//! eviction, buffered reads and writes, `select!`, and a graceful shutdown on
//! SIGINT/SIGTERM with a 2 s grace period (see `server.rs`).
//!
//! ```text
//! cargo run --example chat_server -- --port 7001
//! nc 127.0.0.1 7001      # in two or more terminals; type lines, or /quit
//! kill -TERM <pid>       # or Ctrl-C
//! ```

mod server;
#[cfg(test)]
mod tests;

use evloop::net::TcpListener;
use evloop::signal::{signal, SignalKind};

fn main() {
    let mut port = 7001u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port P"),
            other => panic!("unknown argument {other:?} (expected --port P)"),
        }
    }
    let served = evloop::run(async move {
        // Handlers first: a signal that arrives once the address is printed
        // must not take the default action (exit).
        let mut term = signal(SignalKind::Terminate)?;
        let mut int = signal(SignalKind::Interrupt)?;
        let shutdown = async move {
            let received = evloop::select! {
                _ = term.recv() => SignalKind::Terminate,
                _ = int.recv() => SignalKind::Interrupt,
            };
            println!("Received {received}");
        };
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        println!("listening on {}", listener.local_addr()?);
        server::serve(listener, server::Options::default(), shutdown).await
    });
    if let Err(e) = served {
        eprintln!("chat_server: {e}");
        std::process::exit(1);
    }
}
