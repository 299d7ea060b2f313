//! A line-based chat server: every line a client sends goes to every client.
//!
//! * **Broadcast hub.** Readers send each line into one
//!   [`broadcast`] channel; every client's writer has its own `Receiver`.
//!   Sending never waits, whoever is slow.
//! * **A bounded queue per client.** A client's `Receiver` is its queue: the
//!   hub keeps the last `queue` lines, and a writer that falls further behind
//!   gets `Lagged` — that client is evicted. A client that stops reading
//!   altogether is evicted when a write has waited `write_timeout`.
//! * **Buffered I/O done right.** Lines are read with
//!   `futures::io::BufReader(stream).lines()` (one `read` syscall per
//!   buffer, not per byte), and written through a `BufWriter`: a writer takes
//!   every line that is queued, buffers them, and flushes once — one
//!   `write` syscall for a burst, not one per line. With `write_all` per
//!   line, a busy room makes every writer fall behind and healthy clients
//!   get evicted as "slow".
//! * **Graceful shutdown.** When `shutdown` completes the server stops
//!   accepting, tells everyone, closes the hub (writers send what is queued,
//!   then finish) and gives them `grace` to do so; the rest is cancelled.
//!
//! Shared by `examples/chat_server/main.rs` and `tests/net_chat.rs`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use evloop::net::{TcpListener, TcpStream};
use evloop::sync::broadcast::{self, RecvError, TryRecvError};
use evloop::{CancelHandle, Task};
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use futures::StreamExt;

/// What `serve` needs.
pub(crate) struct Options {
    /// How many lines a client may fall behind before it is evicted.
    pub queue: usize,
    /// How long one write to a client may wait before it is evicted.
    pub write_timeout: Duration,
    /// How long clients get to receive what is queued after the shutdown.
    pub grace: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            queue: 1024,
            write_timeout: Duration::from_secs(5),
            grace: Duration::from_secs(2),
        }
    }
}

/// What happened, for the log and the tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    /// Clients that connected.
    pub joined: u64,
    /// Clients evicted as too slow.
    pub evicted: u64,
    /// Chat lines relayed (each counted once, however many received it).
    pub relayed: u64,
    /// Clients still connected at the shutdown that did not finish within the grace period.
    pub cut_off: u64,
}

/// The shared state: the hub and the connected clients.
struct Room {
    /// `None` once the server shuts down: the writers then finish.
    hub: RefCell<Option<broadcast::Sender<Rc<str>>>>,
    clients: RefCell<HashMap<u64, Task<()>>>,
    report: Cell<Report>,
}

impl Room {
    /// Sends `line` to every client. The hub stores one `Rc<str>`; each
    /// writer clones the pointer, not the text.
    fn say(&self, line: String) {
        if let Some(hub) = &*self.hub.borrow() {
            let _ = hub.send(line.into());
        }
    }

    fn count(&self, update: impl FnOnce(&mut Report)) {
        let mut report = self.report.get();
        update(&mut report);
        self.report.set(report);
    }
}

/// Serves chat on `listener` until `shutdown` completes, then shuts down
/// gracefully and returns what happened.
pub(crate) async fn serve(
    listener: TcpListener,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> io::Result<Report> {
    let (hub, first) = broadcast::channel(options.queue);
    drop(first); // clients subscribe as they join
    let room = Rc::new(Room {
        hub: RefCell::new(Some(hub)),
        clients: RefCell::new(HashMap::new()),
        report: Cell::new(Report::default()),
    });
    let options = Rc::new(options);

    // Accept until the shutdown: `select!` drops the losing `accept()`.
    let mut next_id = 0u64;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        evloop::select! {
            () = shutdown.as_mut() => break,
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        eprintln!("accept failed: {e}");
                        continue;
                    }
                };
                next_id += 1;
                let task = evloop::spawn(client(next_id, stream, room.clone(), options.clone()));
                room.clients.borrow_mut().insert(next_id, task);
            }
        }
    }
    drop(listener);
    println!("shutting down: {} client(s) connected", room.clients.borrow().len());

    // Tell everyone, then close the hub: each writer sends what is queued
    // and finishes; its reader is dropped with it.
    room.say("* server shutting down\n".to_string());
    room.hub.borrow_mut().take();
    let clients: Vec<Task<()>> = room.clients.borrow_mut().drain().map(|(_, task)| task).collect();
    let cancels: Vec<CancelHandle> = clients.iter().map(Task::cancel_handle).collect();
    if evloop::timeout(options.grace, evloop::gather(clients)).await.is_err() {
        let cut_off = cancels.iter().filter(|c| c.cancel()).count() as u64;
        println!("grace period over: {cut_off} client(s) cut off");
        room.count(|r| r.cut_off = cut_off);
    }
    let report = room.report.get();
    println!(
        "shutdown complete: {} joined, {} evicted as too slow, {} lines relayed",
        report.joined, report.evicted, report.relayed
    );
    Ok(report)
}

/// Why a client's writer stopped.
enum WriterEnd {
    /// The hub closed (shutdown) and everything queued was sent.
    Closed,
    /// Too slow: fell behind the hub, or a write timed out.
    Evicted,
    /// The connection failed.
    Failed,
}

/// One connection: a reader and a writer, racing; whichever ends first ends both.
async fn client(id: u64, stream: TcpStream, room: Rc<Room>, options: Rc<Options>) {
    let _ = stream.set_nodelay(true);
    let name = format!("guest{id}");
    let Some(queue) = room.hub.borrow().as_ref().map(|hub| hub.subscribe()) else {
        return; // shutting down already
    };
    room.count(|r| r.joined += 1);
    room.say(format!("* {name} joined\n"));

    let end = evloop::select! {
        () = read_lines(&stream, &name, &room) => None,
        end = write_lines(&stream, queue, &options) => Some(end),
    };
    match end {
        Some(WriterEnd::Evicted) => {
            room.count(|r| r.evicted += 1);
            room.say(format!("* {name} was too slow and was disconnected\n"));
        }
        Some(WriterEnd::Closed) => {}
        None | Some(WriterEnd::Failed) => room.say(format!("* {name} left\n")),
    }
    room.clients.borrow_mut().remove(&id);
}

/// Reads lines until the client hangs up or sends `/quit`, and relays each.
async fn read_lines(stream: &TcpStream, name: &str, room: &Room) {
    // One `read` fills the buffer; `lines()` cuts it up without syscalls.
    let mut lines = BufReader::new(stream).lines();
    while let Some(Ok(line)) = lines.next().await {
        if line == "/quit" {
            return;
        }
        room.count(|r| r.relayed += 1);
        room.say(format!("<{name}> {line}\n"));
        // One line per turn: a client that pastes a thousand lines shares
        // the loop with the others, and the hub's writers keep up.
        evloop::yield_now().await;
    }
}

/// Sends the client every line from the hub, in batches: all that is
/// queued goes into the buffer, then one flush.
async fn write_lines(stream: &TcpStream, mut queue: broadcast::Receiver<Rc<str>>, options: &Options) -> WriterEnd {
    let mut out = BufWriter::with_capacity(64 * 1024, stream);
    loop {
        let first = match queue.recv().await {
            Ok(line) => line,
            Err(RecvError::Closed) => return WriterEnd::Closed,
            Err(RecvError::Lagged(missed)) => return evict(&mut out, missed, options).await,
        };
        // Buffered: these writes make no syscall until 64 KiB are waiting.
        if out.write_all(first.as_bytes()).await.is_err() {
            return WriterEnd::Failed;
        }
        loop {
            match queue.try_recv() {
                Ok(line) => {
                    if out.write_all(line.as_bytes()).await.is_err() {
                        return WriterEnd::Failed;
                    }
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                Err(TryRecvError::Lagged(missed)) => return evict(&mut out, missed, options).await,
            }
        }
        match evloop::timeout(options.write_timeout, out.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return WriterEnd::Failed,
            Err(_) => return WriterEnd::Evicted, // not reading at all
        }
    }
}

/// Tells a client that fell `missed` lines behind why it is disconnected
/// (if it takes the line within the write timeout).
async fn evict(out: &mut BufWriter<&TcpStream>, missed: u64, options: &Options) -> WriterEnd {
    let notice = format!("* you fell {missed} lines behind and were disconnected\n");
    let _ = evloop::timeout(options.write_timeout, async {
        out.write_all(notice.as_bytes()).await?;
        out.flush().await
    })
    .await;
    WriterEnd::Evicted
}
