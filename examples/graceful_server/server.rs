//! The seed's `AsyncServer` with graceful shutdown, on real sockets.
//!
//! A line protocol: a client sends `WORK <ms>`; the server answers
//! `accepted <id>` at once and `done <id>` when the work is finished.
//!
//! On SIGINT or SIGTERM the server stops accepting (the listener closes),
//! closes idle connections, gives requests in flight `grace` to finish, then
//! cancels the rest (their connections close without a `done`) and returns.
//!
//! `tests/net_graceful.rs` runs the example as a child process.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use evloop::net::{TcpListener, TcpStream};
use evloop::signal::{signal, SignalKind};
use evloop::sync::Event;
use evloop::Task;

/// What `serve` needs.
pub(crate) struct Options {
    /// Where to listen, e.g. `127.0.0.1:0`.
    pub(crate) addr: String,
    /// How long requests in flight may run on after the signal.
    pub(crate) grace: Duration,
}

/// How the shutdown went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) completed: u64,
    pub(crate) cancelled: u64,
}

struct Connection {
    task: Task<()>,
    busy: Rc<Cell<bool>>,
}

#[derive(Default)]
struct Server {
    shutting_down: Cell<bool>,
    busy: Cell<usize>,
    all_idle: Event,
    next_request: Cell<u64>,
    completed: Cell<u64>,
    cancelled: Cell<u64>,
    connections: RefCell<HashMap<u64, Connection>>,
}

/// Runs the server until SIGINT or SIGTERM, then shuts down gracefully.
pub(crate) async fn serve(options: Options) -> io::Result<Report> {
    // Handlers first: a signal that arrives once we print the address must
    // not take the default action (exit).
    let mut term = signal(SignalKind::Terminate)?;
    let mut int = signal(SignalKind::Interrupt)?;
    let listener = TcpListener::bind(&options.addr)?;
    println!("listening on {}", listener.local_addr()?);

    let server = Rc::new(Server::default());
    let acceptor = evloop::spawn(accept_loop(listener, server.clone()));

    let received = evloop::select! {
        _ = term.recv() => SignalKind::Terminate,
        _ = int.recv() => SignalKind::Interrupt,
    };
    println!("Received {received}, initiating shutdown...");
    server.shutting_down.set(true);

    // Stop accepting: cancelling the acceptor drops the listener.
    acceptor.cancel();
    let _ = acceptor.await;
    println!("Stopped accepting");

    // Idle connections have nothing in flight: close them now.
    for conn in server.connections.borrow().values() {
        if !conn.busy.get() {
            conn.task.cancel();
        }
    }
    if server.busy.get() > 0 {
        println!("Waiting up to {:?} for {} request(s)", options.grace, server.busy.get());
        if evloop::timeout(options.grace, server.all_idle.wait()).await.is_err() {
            println!("Grace period over");
        }
    }
    // Cancel what is left and wait until every connection task is gone.
    let connections: Vec<Connection> = server.connections.borrow_mut().drain().map(|(_, c)| c).collect();
    for conn in &connections {
        conn.task.cancel();
    }
    for conn in connections {
        let _ = conn.task.await;
    }
    let report = Report {
        completed: server.completed.get(),
        cancelled: server.cancelled.get(),
    };
    println!(
        "Shutdown complete: {} completed, {} cancelled",
        report.completed, report.cancelled
    );
    Ok(report)
}

async fn accept_loop(listener: TcpListener, server: Rc<Server>) {
    let mut next_connection = 0u64;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        next_connection += 1;
        let id = next_connection;
        let busy = Rc::new(Cell::new(false));
        let task = evloop::spawn(handle_connection(stream, server.clone(), busy.clone(), id));
        server.connections.borrow_mut().insert(id, Connection { task, busy });
    }
}

/// Marks a request in flight for as long as it lives, and counts it as
/// cancelled if dropped before `finish`.
struct InFlight<'a> {
    server: &'a Server,
    busy: &'a Cell<bool>,
    id: u64,
    finished: bool,
}

impl<'a> InFlight<'a> {
    fn start(server: &'a Server, busy: &'a Cell<bool>, id: u64) -> Self {
        server.busy.set(server.busy.get() + 1);
        busy.set(true);
        InFlight {
            server,
            busy,
            id,
            finished: false,
        }
    }

    fn finish(mut self) {
        self.finished = true;
        self.server.completed.set(self.server.completed.get() + 1);
        println!("Completed request {}", self.id);
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.server.cancelled.set(self.server.cancelled.get() + 1);
            println!("Request {} cancelled", self.id);
        }
        self.busy.set(false);
        self.server.busy.set(self.server.busy.get() - 1);
        if self.server.busy.get() == 0 && self.server.shutting_down.get() {
            self.server.all_idle.set();
        }
    }
}

async fn handle_connection(stream: TcpStream, server: Rc<Server>, busy: Rc<Cell<bool>>, connection: u64) {
    let mut buffered = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        // One request line.
        let line = loop {
            if let Some(end) = buffered.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buffered.drain(..=end).collect();
                break String::from_utf8_lossy(&line).trim().to_string();
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => {
                    server.connections.borrow_mut().remove(&connection);
                    return;
                }
                Ok(n) => buffered.extend_from_slice(&chunk[..n]),
            }
        };
        let Some(ms) = line.strip_prefix("WORK ").and_then(|ms| ms.parse::<u64>().ok()) else {
            let _ = stream.write_all(b"error: expected WORK <ms>\n").await;
            continue;
        };
        let id = server.next_request.get() + 1;
        server.next_request.set(id);
        let request = InFlight::start(&server, &busy, id);
        if stream.write_all(format!("accepted {id}\n").as_bytes()).await.is_err() {
            return;
        }
        evloop::sleep(Duration::from_millis(ms)).await; // the "processing"
        let reply = stream.write_all(format!("done {id}\n").as_bytes()).await;
        request.finish();
        if reply.is_err() || server.shutting_down.get() {
            server.connections.borrow_mut().remove(&connection);
            return;
        }
    }
}
