//! The seed's `EventLoopMonitor` and `check_event_loop_lag`, done with
//! evloop's monitor: a slow-poll warning that names the culprit, a lag
//! report, a task dump, and the loop's measurements.
//!
//! `cargo run --release --example loop_monitor`

use std::time::Duration;

/// A handler that forgets it is async and blocks the loop.
async fn handle_request_badly(id: u32) {
    evloop::sleep(Duration::from_millis(20)).await;
    std::thread::sleep(Duration::from_millis(120)); // a blocking call inside async code
    println!("  request {id} done (but it held the whole loop for 120 ms)");
}

async fn handle_request_well(id: u32) {
    evloop::sleep(Duration::from_millis(20)).await;
    // Waiting without blocking: the loop serves others meanwhile.
    evloop::sleep(Duration::from_millis(120)).await;
    println!("  request {id} done");
}

fn main() {
    let lp = evloop::EventLoop::builder()
        .slow_poll_threshold(Duration::from_millis(100)) // asyncio's slow_callback_duration
        .measure(true)
        .on_slow_poll(|slow| {
            println!("  ⚠ slow poll: {slow}");
        })
        .build()
        .unwrap();
    lp.block_on(async {
        println!("== lag monitor: samples every 50 ms, reports lag over 10 ms");
        let monitor = evloop::monitor::lag_monitor(Duration::from_millis(50), Duration::from_millis(10), |lag| {
            println!("  event loop lag: {:.1} ms", lag.as_secs_f64() * 1000.0)
        });

        println!("== a well-behaved request");
        evloop::spawn_named("good-request", handle_request_well(1))
            .await
            .unwrap();

        println!("== a request that blocks the loop");
        let bad = evloop::spawn_named("bad-request", handle_request_badly(2));
        let bystander = evloop::spawn_named("bystander", evloop::sleep(Duration::from_secs(30)));
        evloop::sleep(Duration::from_millis(10)).await;

        println!("== task dump while it runs");
        for line in evloop::monitor::dump_tasks().lines() {
            println!("  {line}");
        }
        bad.await.unwrap();
        evloop::sleep(Duration::from_millis(120)).await; // let the lag monitor notice
        monitor.cancel();
        bystander.cancel();

        println!("== measurements");
        for line in evloop::monitor::stats().to_string().lines() {
            println!("  {line}");
        }
    });
}
