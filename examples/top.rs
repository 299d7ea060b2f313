//! `top` for an evloop loop: attaches to the socket of
//! `evloop::monitor::serve` and draws the loop's figures live — ticks and
//! polls per second, the poll-time, schedule-latency, timer-lateness and lag
//! percentiles as bars, and the tasks sorted by busy time.
//!
//! ```text
//! cargo run --example top -- PATH           # a loop that called monitor::serve(PATH, ...)
//! cargo run --example top -- --demo         # start a demo loop serving a socket, and watch it
//! cargo run --example top -- --demo --once  # one frame as plain text, then exit
//! cargo run --example top -- PATH --for 10  # stop after 10 s
//! ```
//!
//! The view is plain text redrawn with two ANSI escapes (clear, home); the
//! feed is one JSON object per line, parsed here with serde_json.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

struct Options {
    path: Option<PathBuf>,
    demo: bool,
    once: bool,
    run_for: Option<Duration>,
}

fn options() -> Options {
    let mut options = Options {
        path: None,
        demo: false,
        once: false,
        run_for: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => options.demo = true,
            "--once" => options.once = true,
            "--for" => {
                let secs: f64 = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--for takes a number of seconds, e.g. --for 10");
                options.run_for = Some(Duration::from_secs_f64(secs));
            }
            path if !path.starts_with("--") => options.path = Some(path.into()),
            other => panic!("unknown option {other}: use PATH, --demo, --once, --for SECS"),
        }
    }
    if options.path.is_none() && !options.demo {
        eprintln!("usage: top PATH | top --demo  [--once] [--for SECS]");
        std::process::exit(2);
    }
    options
}

fn main() {
    let options = options();
    let stop = Arc::new(AtomicBool::new(false));
    let (path, demo) = match (&options.path, options.demo) {
        (Some(path), false) => (path.clone(), None),
        (path, _) => {
            let path = path
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join(format!("evloop-top-demo-{}.sock", std::process::id())));
            let _ = std::fs::remove_file(&path);
            (path.clone(), Some(start_demo(path, stop.clone())))
        }
    };
    let viewed = view(&path, &options);
    stop.store(true, Ordering::Release);
    if let Some(demo) = demo {
        demo.join().expect("the demo loop panicked");
    }
    if let Err(e) = viewed {
        eprintln!("top: {}: {e}", path.display());
        std::process::exit(1);
    }
}

/// Reads snapshots and draws them until the feed ends or time is up.
fn view(path: &Path, options: &Options) -> std::io::Result<()> {
    let stream = connect(path)?;
    let started = Instant::now();
    let mut previous: Option<(Instant, Value)> = None;
    for line in BufReader::new(stream).lines() {
        let snapshot: Value = serde_json::from_str(&line?).map_err(std::io::Error::other)?;
        let now = Instant::now();
        if let Some((then, before)) = &previous {
            let frame = render(path, &snapshot, before, now - *then);
            if options.once {
                print!("{frame}");
                return Ok(());
            }
            print!("\x1b[2J\x1b[H{frame}");
        }
        previous = Some((now, snapshot));
        if options.run_for.is_some_and(|d| started.elapsed() >= d) {
            return Ok(());
        }
    }
    Ok(())
}

/// Connects, waiting up to two seconds for the socket to appear.
fn connect(path: &Path) -> std::io::Result<UnixStream> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match UnixStream::connect(path) {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// One frame: the header, the histograms and the task table.
fn render(path: &Path, now: &Value, before: &Value, dt: Duration) -> String {
    let secs = dt.as_secs_f64().max(1e-9);
    let stat = |v: &Value, name: &str| v["stats"][name].as_u64().unwrap_or(0);
    let rate = |name: &str| (stat(now, name).saturating_sub(stat(before, name))) as f64 / secs;
    let mut out = format!(
        "evloop top — {}\n\nticks/s {:>9.0}   polls/s {:>9.0}   wakes/s {:>9.0}   tasks {:>5}   io sources {:>4}   timers {:>5}\n\n",
        path.display(),
        rate("ticks"),
        rate("polls"),
        rate("wakes_local") + rate("wakes_remote"),
        stat(now, "tasks_alive"),
        stat(now, "io_sources"),
        stat(now, "timers_pending"),
    );
    out.push_str("                    p50                      p99                      max\n");
    for (name, label) in [
        ("poll_time", "poll time"),
        ("schedule_latency", "wake to poll"),
        ("timer_lateness", "timer lateness"),
        ("loop_lag", "loop lag"),
    ] {
        let h = &now["histograms"][name];
        if h["count"].as_u64().unwrap_or(0) == 0 {
            continue; // not measured, or nothing yet
        }
        out.push_str(&format!("{label:<16}"));
        for q in ["p50_ns", "p99_ns", "max_ns"] {
            let ns = h[q].as_u64().unwrap_or(0);
            out.push_str(&format!(" {:>9} {:<14}", human(ns), bar(ns)));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{:>6}  {:<24} {:<8} {:>9} {:>8} {:>10} {:>6} {:>9}  spawned at\n",
        "id", "name", "state", "polls", "polls/s", "busy", "busy%", "age"
    ));
    let mut tasks: Vec<&Value> = now["tasks"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let busy = |t: &Value| t["busy_ns"].as_u64().unwrap_or(0);
    tasks.sort_by(|a, b| {
        busy(b)
            .cmp(&busy(a))
            .then(b["polls"].as_u64().cmp(&a["polls"].as_u64()))
    });
    let earlier = |id: &Value| {
        before["tasks"]
            .as_array()
            .and_then(|a| a.iter().find(|t| t["id"] == *id))
    };
    for t in tasks {
        let (polls, busy_ns) = (t["polls"].as_u64().unwrap_or(0), t["busy_ns"].as_u64());
        let (polls_before, busy_before) =
            earlier(&t["id"]).map_or((0, 0), |e| (e["polls"].as_u64().unwrap_or(0), busy(e)));
        let share = busy_ns.map_or("-".to_string(), |b| {
            format!("{:.1}", b.saturating_sub(busy_before) as f64 / (secs * 1e9) * 100.0)
        });
        out.push_str(&format!(
            "{:>6}  {:<24} {:<8} {:>9} {:>8.0} {:>10} {:>6} {:>9}  {}\n",
            t["id"].as_u64().unwrap_or(0),
            t["name"].as_str().unwrap_or("?"),
            t["state"].as_str().unwrap_or("?"),
            polls,
            polls.saturating_sub(polls_before) as f64 / secs,
            busy_ns.map_or("-".to_string(), human),
            share,
            human(t["age_ns"].as_u64().unwrap_or(0)),
            t["spawned_at"].as_str().unwrap_or("?"),
        ));
    }
    out
}

/// 1234567 ns → "1.23ms".
fn human(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns}ns"),
        1_000..1_000_000 => format!("{:.1}µs", ns as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2}ms", ns as f64 / 1e6),
        _ => format!("{:.2}s", ns as f64 / 1e9),
    }
}

/// A bar on a log scale, 14 cells from 1 µs (empty) to 1 s (full).
fn bar(ns: u64) -> String {
    const WIDTH: usize = 14;
    let filled = ((ns.max(1) as f64 / 1e3).log10() / 6.0 * WIDTH as f64).clamp(0.0, WIDTH as f64) as usize;
    format!("{}{}", "█".repeat(filled), "·".repeat(WIDTH - filled))
}

/// A loop with a few kinds of tasks, serving its figures on `path`, until
/// `stop` is set.
fn start_demo(path: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let lp = evloop::EventLoop::builder().measure(true).build().unwrap();
        lp.block_on(async move {
            let _server = evloop::monitor::serve(&path, Duration::from_millis(200)).expect("serve the demo loop");
            let _ticker = evloop::spawn_named("ticker", async {
                loop {
                    evloop::sleep(Duration::from_millis(10)).await;
                }
            });
            let _cpu = evloop::spawn_named("cpu-burst", async {
                loop {
                    let started = Instant::now();
                    while started.elapsed() < Duration::from_millis(3) {
                        std::hint::spin_loop(); // deliberately busy: shows up as busy time
                    }
                    evloop::sleep(Duration::from_millis(20)).await;
                }
            });
            let _yielder = evloop::spawn_named("yielder", async {
                loop {
                    for _ in 0..100 {
                        evloop::yield_now().await;
                    }
                    evloop::sleep(Duration::from_millis(5)).await;
                }
            });
            let _idle = evloop::spawn_named("idle", evloop::sleep(Duration::from_secs(3600)));
            while !stop.load(Ordering::Acquire) {
                evloop::sleep(Duration::from_millis(20)).await;
            }
        });
    })
}
