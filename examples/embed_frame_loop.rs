//! Embedding evloop in a 60 Hz frame loop (a game, a simulation): each frame
//! the host does its own work, then gives evloop whatever is left of the
//! frame with `run_once` — the loop never owns the thread. A TCP echo server
//! and a timer keep working in between; at the end the host prints its frame
//! rate and the loop's lag.
//!
//! `cargo run --example embed_frame_loop [-- SECONDS]` (default 2)
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::net::{TcpListener, TcpStream};

const FRAME: Duration = Duration::from_micros(16_667); // 60 Hz

fn main() {
    let seconds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2);
    let lp = evloop::EventLoop::new().unwrap();

    // Work for evloop: an echo server, a client that talks to it, a ticker.
    let listener = lp.block_on(async { TcpListener::bind("127.0.0.1:0").unwrap() });
    let addr = listener.local_addr().unwrap();
    let _server = lp.spawn_named("echo-server", async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            drop(evloop::spawn(async move {
                let mut buf = [0u8; 1024];
                loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }));
        }
    });
    let echoes = Rc::new(Cell::new(0u32));
    let e = echoes.clone();
    let _client = lp.spawn_named("echo-client", async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 5];
        loop {
            stream.write_all(b"hello").await.unwrap();
            stream.read_exact(&mut buf).await.unwrap();
            e.set(e.get() + 1);
            evloop::sleep(Duration::from_millis(10)).await;
        }
    });
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let _ticker = lp.spawn_named("ticker", async move {
        let mut every = evloop::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            t.set(t.get() + 1);
        }
    });
    // How late the loop wakes a 50 ms timer: at most the host's share of a frame.
    let worst_lag = Rc::new(Cell::new(Duration::ZERO));
    let w = worst_lag.clone();
    let _lag = lp.spawn(async move {
        let monitor = evloop::monitor::lag_monitor(Duration::from_millis(50), Duration::ZERO, move |lag| {
            w.set(w.get().max(lag));
        });
        let _ = monitor.await;
    });

    // The host's frame loop.
    let start = Instant::now();
    let mut frames = 0u32;
    let mut simulated = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let frame_start = Instant::now();
        // The host's own work for this frame.
        for i in 0..20_000u64 {
            simulated = simulated.wrapping_add(i * i);
        }
        // evloop gets what is left of the frame, in slices.
        loop {
            let left = FRAME.saturating_sub(frame_start.elapsed());
            if left.is_zero() {
                break;
            }
            lp.run_once(Some(left));
        }
        frames += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let stats = lp.stats();
    println!(
        "frames: {frames} in {elapsed:.2} s = {:.1} fps (target 60)",
        frames as f64 / elapsed
    );
    println!(
        "echo round trips: {} (the server kept working between frames)",
        echoes.get()
    );
    println!("interval ticks: {} (every 100 ms)", ticks.get());
    println!(
        "loop lag: worst {:?} (at most the host's share of a frame)",
        worst_lag.get()
    );
    println!(
        "loop stats: ticks={} polls={} io_events={}",
        stats.ticks, stats.polls, stats.io_events
    );
    println!("host work result: {simulated}");
    lp.close();
    println!("closed");
}
