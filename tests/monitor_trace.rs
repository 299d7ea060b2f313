//! The Chrome trace file.

use std::time::Duration;

#[test]
fn the_trace_is_valid_json_with_a_slice_per_poll() {
    let path = std::env::temp_dir().join(format!("evloop-trace-{}.json", std::process::id()));
    let lp = evloop::EventLoop::builder().trace_file(&path).build().unwrap();
    lp.block_on(async {
        let alpha = evloop::spawn_named("alpha", async {
            evloop::yield_now().await;
            evloop::yield_now().await;
        });
        let beta = evloop::spawn_named("beta", evloop::sleep(Duration::from_millis(2)));
        alpha.await.unwrap();
        beta.await.unwrap();
    });
    lp.close();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let events: Vec<serde_json::Value> = serde_json::from_str(&text).expect("the trace is a JSON array");
    let slices = |name: &str| {
        events
            .iter()
            .filter(|e| e["ph"] == "X" && e["name"] == name)
            .map(|e| (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(slices("alpha").len(), 3, "alpha was polled three times");
    assert_eq!(slices("beta").len(), 2, "beta was polled twice");
    for (ts, dur) in slices("alpha").into_iter().chain(slices("beta")) {
        assert!(ts >= 0.0 && dur >= 0.0);
    }
    let alpha = slices("alpha");
    assert!(alpha.windows(2).all(|w| w[0].0 <= w[1].0), "slices in time order");
    assert!(events.iter().any(|e| e["ph"] == "i" && e["name"] == "wake"));
    assert!(events.iter().any(|e| e["ph"] == "i" && e["name"] == "timers fired"));
    assert!(events.iter().any(|e| e["ph"] == "C" && e["name"] == "ready queue"));
    assert!(events.iter().any(|e| e["ph"] == "M"));
}

#[test]
fn an_unwritable_trace_path_is_a_clear_error() {
    let err = evloop::EventLoop::builder()
        .trace_file("/nonexistent-dir/trace.json")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

fn temp_trace(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("evloop-trace-{tag}-{}.json", std::process::id()))
}

fn parse(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a JSON trace ({e}):\n{text}"))
}

#[test]
fn the_file_is_valid_after_every_flush_and_after_close() {
    let path = temp_trace("flush");
    let lp = evloop::EventLoop::builder().trace_file(&path).build().unwrap();
    assert!(parse(&path).iter().any(|e| e["ph"] == "M"), "valid from the start");
    let counts = lp.block_on(async {
        let mut counts = Vec::new();
        for round in 0..3 {
            evloop::spawn_named(format!("round {round}"), evloop::yield_now())
                .await
                .unwrap();
            evloop::monitor::flush_trace().unwrap();
            let events = parse(&path);
            assert!(events.iter().any(|e| e["name"] == format!("round {round}")));
            counts.push(events.len());
        }
        counts
    });
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "each flush adds: {counts:?}");
    lp.close();
    let events = parse(&path);
    assert!(events.len() > counts[2]);
    std::fs::remove_file(&path).ok();
}

#[test]
fn flush_without_a_trace_file_does_nothing() {
    evloop::run(async { evloop::monitor::flush_trace().unwrap() });
}

#[test]
fn the_file_is_valid_after_a_panic() {
    let path = temp_trace("panic");
    let result = std::panic::catch_unwind(|| {
        let lp = evloop::EventLoop::builder().trace_file(&path).build().unwrap();
        lp.block_on(async {
            evloop::spawn_named("before the panic", evloop::yield_now())
                .await
                .unwrap();
            panic!("the main task fails");
        })
    });
    assert!(result.is_err());
    let events = parse(&path);
    assert!(events.iter().any(|e| e["name"] == "before the panic"));
    std::fs::remove_file(&path).ok();
}

/// Run in a child process by the test below: flushes, then exits without
/// closing the loop.
#[test]
fn exit_child() {
    let Some(path) = std::env::var_os("EVLOOP_TRACE_CHILD") else {
        return;
    };
    let lp = evloop::EventLoop::builder().trace_file(path).build().unwrap();
    lp.block_on(async {
        evloop::spawn_named("flushed", evloop::yield_now()).await.unwrap();
        evloop::monitor::flush_trace().unwrap();
        evloop::spawn_named("lost", evloop::yield_now()).await.unwrap();
        std::process::exit(0);
    });
}

#[test]
fn a_flushed_trace_survives_process_exit() {
    let path = temp_trace("exit");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["exit_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("EVLOOP_TRACE_CHILD", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = parse(&path);
    assert!(events.iter().any(|e| e["name"] == "flushed"));
    std::fs::remove_file(&path).ok();
}

#[test]
fn slices_never_overlap_and_callbacks_have_theirs() {
    let path = temp_trace("overlap");
    let lp = evloop::EventLoop::builder().trace_file(&path).build().unwrap();
    lp.block_on(async {
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                evloop::spawn(async move {
                    for _ in 0..(i % 5) {
                        evloop::yield_now().await;
                    }
                })
            })
            .collect();
        evloop::call_soon(|| ());
        for t in tasks {
            t.await.unwrap();
        }
    });
    lp.close();
    let events = parse(&path);
    std::fs::remove_file(&path).ok();
    assert!(events.iter().any(|e| e["ph"] == "X" && e["name"] == "callback"));
    let ns = |v: &serde_json::Value| (v.as_f64().unwrap() * 1000.0).round() as u64;
    let mut slices: Vec<(u64, u64)> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| (ns(&e["ts"]), ns(&e["dur"])))
        .collect();
    assert!(slices.len() > 40);
    slices.sort();
    for w in slices.windows(2) {
        assert!(w[0].0 + w[0].1 <= w[1].0, "slices overlap: {:?} then {:?}", w[0], w[1]);
    }
}
