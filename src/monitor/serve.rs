//! `serve`: the loop's figures, streamed to other processes over a Unix
//! socket, one JSON object per line.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::snapshot_json::snapshot_line;
use crate::net::{UnixListener, UnixStream};
use crate::Task;

/// Listens on a Unix socket at `path` and sends each connection one JSON
/// object per line, every `every`, until it disconnects: what
/// `cargo run --example top -- PATH` draws live.
///
/// Each line holds `"stats"` (the [`LoopStats`](super::LoopStats) counters
/// by field name), `"histograms"` (those of the summaries that are
/// measured: `"poll_time"`, `"schedule_latency"`, `"timer_lateness"`,
/// `"loop_lag"`, each with `"count"`, `"p50_ns"`, `"p99_ns"`, `"max_ns"`)
/// and `"tasks"` (one object per live task: `"id"`, `"name"`, `"state"`,
/// `"polls"`, `"busy_ns"` — `null` unless polls are timed precisely —,
/// `"age_ns"`, `"spawned_at"`). For example (wrapped here):
///
/// ```text
/// {"stats":{"ticks":120,"polls":361,...},"histograms":{"timer_lateness":{"count":3,...}},
///  "tasks":[{"id":1,"name":"main","state":"waiting","polls":2,"busy_ns":null,"age_ns":0,...}]}
/// ```
///
/// The server is a task (named `"monitor::serve"`, one more task per
/// connection); cancel it, or let the loop close, to stop serving. The
/// socket file is removed when it stops.
///
/// ```
/// use std::time::Duration;
///
/// evloop::run(async {
///     let path = std::env::temp_dir().join(format!("evloop-serve-doc-{}.sock", std::process::id()));
///     let server = evloop::monitor::serve(&path, Duration::from_millis(10)).unwrap();
///     let client = evloop::net::UnixStream::connect(&path).await.unwrap();
///     let mut line = vec![0; 64];
///     let n = client.read(&mut line).await.unwrap();
///     assert!(line[..n].starts_with(b"{\"stats\":{\"ticks\":"));
///     server.cancel();
/// });
/// ```
///
/// # Errors
/// The socket cannot be bound (for example `path` already exists: remove a
/// stale socket first).
///
/// # Panics
/// Outside a running loop ("no running event loop").
pub fn serve(path: impl AsRef<Path>, every: Duration) -> io::Result<Task<()>> {
    let path = path.as_ref().to_path_buf();
    let listener = UnixListener::bind(&path)?;
    let every = every.max(Duration::from_millis(1));
    Ok(crate::spawn_named("monitor::serve", async move {
        let _remove = RemoveOnDrop(path);
        let mut clients = Clients(Vec::new());
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    clients.0.retain(|c| !c.is_finished());
                    clients
                        .0
                        .push(crate::spawn_named("monitor::serve client", feed(stream, every)));
                }
                // Out of descriptors, or a connection reset before it was
                // accepted: try again later rather than spin.
                Err(_) => crate::sleep(every).await,
            }
        }
    }))
}

/// Sends a snapshot every `every` until the peer goes away.
async fn feed(stream: UnixStream, every: Duration) {
    loop {
        if stream.write_all(snapshot_line().as_bytes()).await.is_err() {
            return;
        }
        crate::sleep(every).await;
    }
}

/// The connections' tasks, cancelled when the server stops.
struct Clients(Vec<Task<()>>);

impl Drop for Clients {
    fn drop(&mut self) {
        for client in &self.0 {
            client.cancel();
        }
    }
}

/// The socket file, removed when the server stops.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
