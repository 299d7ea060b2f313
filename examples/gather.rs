//! gather, try_gather and join!: running futures concurrently.
//!
//! `cargo run --example gather`

use std::time::{Duration, Instant};

use evloop::BoxError;

async fn fetch_data(source: &str, delay_ms: u64) -> String {
    evloop::sleep(Duration::from_millis(delay_ms)).await;
    format!("data from {source}")
}

async fn might_fail(n: u32) -> Result<String, BoxError> {
    evloop::sleep(Duration::from_millis(100)).await;
    if n == 2 {
        return Err(format!("Task {n} failed!").into());
    }
    Ok(format!("Task {n} succeeded"))
}

fn main() {
    evloop::run(async {
        println!("== gather: concurrently, results in input order");
        let start = Instant::now();
        let results = evloop::gather([
            fetch_data("API 1", 300),
            fetch_data("API 2", 100),
            fetch_data("API 3", 200),
        ])
        .await;
        println!("  {results:?}");
        println!("  took {:?} (the longest, not the sum of 600 ms)", start.elapsed());

        println!("\n== gather over Results = gather(return_exceptions=True)");
        for result in evloop::gather((1..=3).map(might_fail)).await {
            match result {
                Ok(v) => println!("  Success: {v}"),
                Err(e) => println!("  Error: {e}"),
            }
        }

        println!("\n== try_gather: the first error wins, the others are cancelled (no orphans)");
        let start = Instant::now();
        let outcome = evloop::try_gather((1..=3).map(|n| {
            evloop::on_cancel(
                async move {
                    evloop::sleep(Duration::from_millis(100 * n as u64)).await;
                    if n == 1 {
                        Err(format!("task {n} refused"))
                    } else {
                        Ok(n)
                    }
                },
                move || println!("  task {n} cancelled, cleanup ran"),
            )
        }))
        .await;
        println!("  {outcome:?} after {:?}", start.elapsed());

        println!("\n== join!: a fixed set of futures of different types");
        let (count, name, ()) = evloop::join!(
            async {
                evloop::sleep(Duration::from_millis(50)).await;
                42
            },
            fetch_data("users", 80),
            evloop::sleep(Duration::from_millis(20)),
        );
        println!("  count = {count}, name = {name:?}");

        let r = evloop::try_join!(async { Ok::<_, String>(1) }, async { Err::<u8, _>("no".to_string()) });
        println!("  try_join! of Ok(1) and Err(\"no\"): {r:?}");
    });
}
