//! as_completed and wait(FirstCompleted): results as they arrive.
//!
//! `cargo run --example as_completed`

use std::time::{Duration, Instant};

use evloop::ReturnWhen;

/// A fixed pseudo-random delay per URL (10..400 ms).
fn delay_for(i: u64) -> Duration {
    Duration::from_millis(10 + (i * 7919 + 13) % 390)
}

async fn fetch_with_delay(url: String, delay: Duration) -> (String, Duration) {
    evloop::sleep(delay).await;
    (url, delay)
}

fn main() {
    evloop::run(async {
        println!("== as_completed: process results as they complete");
        let start = Instant::now();
        let tasks: Vec<_> = (0..10)
            .map(|i| evloop::spawn(fetch_with_delay(format!("https://example.com/{i}"), delay_for(i))))
            .collect();
        let mut done = evloop::as_completed(tasks);
        while let Some(result) = done.next().await {
            let (url, delay) = result.unwrap();
            println!("  got {url} (slept {delay:?}) at {:?}", start.elapsed());
        }

        println!("\n== as a Stream: collect the first three to finish, drop the rest");
        use futures_core::Stream;
        let mut stream = evloop::as_completed((0..10).map(|i| fetch_with_delay(format!("item {i}"), delay_for(i))));
        println!("  size_hint: {:?}", stream.size_hint());
        let mut first = Vec::new();
        while first.len() < 3 {
            first.push(stream.next().await.unwrap().0);
        }
        drop(stream); // the seven still running are dropped (cancelled)
        println!("  first three: {first:?}");

        println!("\n== wait(FIRST_COMPLETED) in a loop");
        let mut pending: Vec<_> = (0..4)
            .map(|i| evloop::spawn(fetch_with_delay(format!("job {i}"), delay_for(i))))
            .collect();
        while !pending.is_empty() {
            let (done, rest) = evloop::wait(pending, ReturnWhen::FirstCompleted, None).await;
            for t in done {
                println!("  finished: {} ({} still pending)", t.await.unwrap().0, rest.len());
            }
            pending = rest;
        }
    });
}
