//! Records one second of a small workload with `Builder::trace_file`, then
//! renders the trace as an SVG timeline: one row per task, one bar per poll,
//! timer fires as ticks, and the run-queue depth underneath.
//!
//! `cargo run --release --example trace_timeline [-- --out FILE.svg] [--trace FILE.json]`
//! (defaults: `docs/img/trace_timeline.svg` and `target/trace_timeline.json`)
//!
//! The JSON trace itself opens in Perfetto (ui.perfetto.dev) or
//! `chrome://tracing`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

async fn workload() {
    let producer = evloop::spawn_named("producer", async {
        let mut workers = Vec::new();
        for i in 0..20u64 {
            // Each item is handled by a short-lived worker task.
            workers.push(evloop::spawn_named("worker", async move {
                evloop::sleep(Duration::from_millis(20 + (i % 3) * 10)).await;
                evloop::yield_now().await;
            }));
            evloop::sleep(Duration::from_millis(45)).await;
        }
        for w in workers {
            w.await.unwrap();
        }
    });
    let ticker = evloop::spawn_named("ticker", async {
        let mut every = evloop::interval(Duration::from_millis(100));
        for _ in 0..10 {
            every.tick().await;
        }
    });
    let burst = evloop::spawn_named("cpu-burst", async {
        for _ in 0..3 {
            evloop::sleep(Duration::from_millis(250)).await;
            std::thread::sleep(Duration::from_millis(25)); // blocks the loop: visible as a long bar
        }
    });
    let yielder = evloop::spawn_named("yielder", async {
        for _ in 0..200 {
            evloop::yield_now().await;
            evloop::sleep(Duration::from_millis(4)).await;
        }
    });
    producer.await.unwrap();
    for t in [ticker, burst, yielder] {
        t.await.unwrap();
    }
}

struct Slice {
    ts: f64,
    dur: f64,
}

fn render(events: &[serde_json::Value]) -> String {
    let mut rows: BTreeMap<String, Vec<Slice>> = BTreeMap::new();
    let mut timers = Vec::new();
    let mut depth = Vec::new();
    for e in events {
        let ts = e["ts"].as_f64().unwrap_or(0.0);
        match e["ph"].as_str() {
            Some("X") => rows
                .entry(e["name"].as_str().unwrap_or("?").to_string())
                .or_default()
                .push(Slice {
                    ts,
                    dur: e["dur"].as_f64().unwrap_or(0.0),
                }),
            Some("i") if e["name"] == "timers fired" => timers.push(ts),
            Some("C") => depth.push((ts, e["args"]["depth"].as_f64().unwrap_or(0.0))),
            _ => {}
        }
    }
    let start = rows.values().flatten().map(|s| s.ts).fold(f64::MAX, f64::min);
    let end = rows.values().flatten().map(|s| s.ts + s.dur).fold(0.0, f64::max);
    let span = (end - start).max(1.0);
    let (left, width, row_h) = (110.0, 860.0, 22.0);
    let x = |ts: f64| left + (ts - start) / span * width;
    let rows_h = rows.len() as f64 * row_h;
    let height = 60.0 + rows_h + 90.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="12">"#,
        left + width + 20.0
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{left}" y="20" font-weight="bold">One second of an evloop loop: each bar is one poll of a task ({:.0} ms shown)</text>"#,
        span / 1000.0
    );
    let colors = [
        "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
    ];
    for (i, (name, slices)) in rows.iter().enumerate() {
        let y = 40.0 + i as f64 * row_h;
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{name}</text>"#,
            left - 8.0,
            y + 14.0
        );
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#eee\"/>",
            y + row_h - 2.0,
            left + width,
            y + row_h - 2.0
        );
        for s in slices {
            let w = (s.dur / span * width).max(1.0);
            let _ = writeln!(
                svg,
                r#"<rect x="{:.2}" y="{y}" width="{w:.2}" height="{}" fill="{}"><title>{name}: {:.1} µs</title></rect>"#,
                x(s.ts),
                row_h - 6.0,
                colors[i % colors.len()],
                s.dur
            );
        }
    }
    let ty = 48.0 + rows_h;
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="end">timers fired</text>"#,
        left - 8.0,
        ty + 10.0
    );
    for t in timers {
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.2}\" y1=\"{ty}\" x2=\"{0:.2}\" y2=\"{1}\" stroke=\"#555\"/>",
            x(t),
            ty + 12.0
        );
    }
    let dy = ty + 70.0;
    let max_depth = depth.iter().map(|d| d.1).fold(1.0, f64::max);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="end">ready queue</text>"#,
        left - 8.0,
        dy - 10.0
    );
    let mut path = String::new();
    // A step line: the depth holds until the next sample.
    for (i, (ts, d)) in depth.iter().enumerate() {
        let y = dy - d / max_depth * 40.0;
        if i == 0 {
            let _ = write!(path, "M{:.2},{y:.2} ", x(*ts));
        } else {
            let _ = write!(path, "H{:.2} V{y:.2} ", x(*ts));
        }
    }
    let _ = writeln!(svg, "<path d=\"{path}\" fill=\"none\" stroke=\"#e15759\"/>");
    let _ = writeln!(svg, r##"<text x="{left}" y="{}" fill="#555">0 ms</text>"##, dy + 16.0);
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{:.0} ms</text>"##,
        left + width,
        dy + 16.0,
        span / 1000.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let out = option("--out");
    let trace_path = option("--trace").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/trace_timeline.json"),
        std::path::PathBuf::from,
    );
    let lp = evloop::EventLoop::builder()
        .trace_file(&trace_path)
        .build()
        .expect("loop with a trace file");
    lp.block_on(workload());
    let stats = lp.stats();
    lp.close(); // finishes the trace file
    let text = std::fs::read_to_string(&trace_path).expect("trace written");
    let events: Vec<serde_json::Value> = serde_json::from_str(&text).expect("trace is JSON");
    let polls = events.iter().filter(|e| e["ph"] == "X").count();
    println!(
        "trace: {} events, {polls} poll slices, in {}",
        events.len(),
        trace_path.display()
    );
    println!("stats: {stats}");
    let svg = render(&events);
    let out = out.unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/img/trace_timeline.svg")
            .display()
            .to_string()
    });
    std::fs::write(&out, svg).expect("write the SVG");
    println!("timeline: {out}");
}
