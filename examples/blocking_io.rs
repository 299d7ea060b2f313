//! The tutorial's Best Practice 2, "Avoid Blocking Calls": `blocking_io()`
//! reads `large_file.txt`. Called on the loop, it freezes every other task
//! until it returns; `asyncio.to_thread(blocking_io)`, `evloop::to_thread`
//! here, runs it on the loop's blocking pool and the loop goes on.
//!
//! To show the difference, a heartbeat task ticks every 10 ms while the file
//! is read twice: first by calling `blocking_io()` directly (bad), then
//! through `non_blocking_io()` (good). The loop's slow-poll detector
//! (asyncio's debug mode; `EVLOOP_DEBUG=1` turns it on for any program) names
//! the task that held the loop.
//!
//! A cached file of a few MiB is read in a few milliseconds, too fast to
//! notice, so `blocking_io` here pauses 25 ms after each 512 KiB chunk of
//! its 4 MiB file, standing in for a slow disk or network file system:
//! about 200 ms per read. The indented lines with milliseconds and beat
//! counts vary from run to run; the others do not.
//!
//! `cargo run --example blocking_io`

use std::cell::Cell;
use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

const CHUNK: usize = 512 * 1024;
const FILE_SIZE: usize = 8 * CHUNK;

/// Bad when called on the loop: every call here blocks the thread.
fn blocking_io(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut content = Vec::with_capacity(FILE_SIZE);
    let mut chunk = vec![0; CHUNK];
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        content.extend_from_slice(&chunk[..n]);
        std::thread::sleep(Duration::from_millis(25)); // a slow disk
    }
    String::from_utf8(content).map_err(io::Error::other)
}

/// Good: run in the thread pool. The outer error is the thread's own
/// failure (a panic in `blocking_io`), the inner one the read's.
async fn non_blocking_io(path: PathBuf) -> io::Result<String> {
    evloop::to_thread(move || blocking_io(&path))
        .await
        .map_err(io::Error::other)?
}

/// Counts the beats of a task that wants to run every 10 ms, and the
/// longest gap between two of them: how long the loop left it waiting.
#[derive(Default)]
struct Heartbeat {
    beats: Cell<u32>,
    longest_gap: Cell<Duration>,
}

async fn heartbeat(state: Rc<Heartbeat>) {
    let mut last = Instant::now();
    loop {
        evloop::sleep(Duration::from_millis(10)).await;
        let now = Instant::now();
        state.beats.set(state.beats.get() + 1);
        state.longest_gap.set(state.longest_gap.get().max(now - last));
        last = now;
    }
}

/// Reads `path` with `read`, watching the heartbeat meanwhile.
async fn read_and_watch(heart: &Heartbeat, read: impl Future<Output = io::Result<String>>) -> io::Result<()> {
    heart.longest_gap.set(Duration::ZERO);
    let before = heart.beats.get();
    let content = read.await?;
    let beats = heart.beats.get() - before;
    println!("read {} bytes of large_file.txt", content.len());
    if beats == 0 {
        println!("the heartbeat stopped during the read: the loop was frozen");
    } else {
        println!("the heartbeat kept beating during the read");
    }
    evloop::sleep(Duration::from_millis(20)).await; // let the heartbeat note its last gap
    println!(
        "  {beats} beats during the read; longest gap between beats: {} ms (due every 10 ms)",
        heart.longest_gap.get().as_millis()
    );
    Ok(())
}

fn main() -> io::Result<()> {
    let path = std::env::temp_dir().join(format!("evloop-{}-large_file.txt", std::process::id()));
    std::fs::write(&path, "0123456789abcdef".repeat(FILE_SIZE / 16))?;

    let lp = evloop::EventLoop::builder()
        .slow_poll_threshold(Duration::from_millis(100)) // asyncio's slow_callback_duration
        .on_slow_poll(|slow| println!("slow-poll detector: task '{}' held the loop", slow.task_name()))
        .build()?;
    let result = lp.block_on(async {
        let heart = Rc::new(Heartbeat::default());
        let beating = evloop::spawn(heartbeat(heart.clone()));
        evloop::sleep(Duration::from_millis(30)).await;

        println!("== Bad: blocking_io() called on the loop");
        let (h, p) = (heart.clone(), path.clone());
        let on_loop = evloop::spawn_named("read-on-the-loop", async move {
            read_and_watch(&h, async { blocking_io(&p) }).await
        });
        on_loop.await.expect("the reading task finished")?;

        println!("\n== Good: non_blocking_io(), to_thread(blocking_io)");
        let (h, p) = (heart.clone(), path.clone());
        let in_thread = evloop::spawn_named("read-in-a-thread", async move {
            read_and_watch(&h, non_blocking_io(p)).await
        });
        in_thread.await.expect("the reading task finished")?;

        beating.cancel();
        Ok(())
    });
    lp.close();
    std::fs::remove_file(&path)?;
    result
}
