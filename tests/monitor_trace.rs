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
