//! Cancellation is a drop; shield keeps a critical operation going.
//!
//! `cargo run --example cancellation_and_shield`

use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Save data: should not be interrupted.
async fn critical_save(data: &'static str) -> &'static str {
    evloop::sleep(ms(300)).await;
    println!("  Saved: {data}");
    "saved"
}

fn main() {
    evloop::run(async {
        println!("== task.cancel(): the future is dropped, on_cancel cleanup runs");
        let task = evloop::spawn(evloop::on_cancel(evloop::sleep(ms(10_000)), || {
            println!("  Task was cancelled! (cleanup here)")
        }));
        evloop::sleep(ms(50)).await;
        task.cancel();
        match task.await {
            Err(e) if e.is_cancelled() => println!("  Task cancellation confirmed: {e}"),
            other => println!("  unexpected: {other:?}"),
        }

        println!("\n== shield: cancelling the outer task does not cancel the save");
        let start = Instant::now();
        let outer = evloop::spawn(async { evloop::shield(critical_save("important data")).await });
        evloop::sleep(ms(100)).await;
        outer.cancel(); // won't cancel the shielded operation
        if outer.await.unwrap_err().is_cancelled() {
            println!(
                "  Outer task cancelled at {:?}, but the save continues...",
                start.elapsed()
            );
        }
        evloop::sleep(ms(300)).await;

        println!("\n== shield + timeout: stop waiting, keep the result");
        let start = Instant::now();
        let mut save = evloop::shield(critical_save("more data"));
        if evloop::timeout(ms(100), &mut save).await.is_err() {
            println!("  gave up waiting after {:?}; the save goes on", start.elapsed());
        }
        println!("  later: {:?} after {:?}", save.await, start.elapsed());

        println!("\n== try_gather leaves no orphans (asyncio.gather would)");
        let r = evloop::try_gather([
            Box::pin(async {
                evloop::sleep(ms(50)).await;
                Err::<u8, _>("task 2 failed")
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = Result<u8, &str>>>>,
            Box::pin(evloop::on_cancel(
                async {
                    evloop::sleep(ms(10_000)).await;
                    Ok(3)
                },
                || println!("  task 3 was cancelled, not left running"),
            )),
        ])
        .await;
        println!("  {r:?}");
    });
}
