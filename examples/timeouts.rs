//! Timeouts around single futures, gather, wait and task groups.
//!
//! `cargo run --example timeouts`

use std::time::{Duration, Instant};

use evloop::{BoxError, ReturnWhen};

async fn slow_operation(name: &'static str, ms: u64) -> &'static str {
    evloop::sleep(Duration::from_millis(ms)).await;
    name
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn main() {
    evloop::run(async {
        println!("== timeout (asyncio.wait_for): the slow future is dropped on expiry");
        let r = evloop::timeout(
            ms(100),
            evloop::on_cancel(slow_operation("slow", 10_000), || {
                println!("  slow_operation cancelled")
            }),
        )
        .await;
        println!("  {r:?}");

        println!("\n== a timeout around gather cancels every child still running");
        let start = Instant::now();
        let r = evloop::timeout(
            ms(150),
            evloop::gather([100, 200, 300].map(|d| {
                evloop::on_cancel(slow_operation("child", d), move || {
                    println!("  the {d} ms child was cancelled")
                })
            })),
        )
        .await;
        println!("  {:?} after {:?}", r.map(|v| v.len()), start.elapsed());

        println!("\n== wait with a timeout returns what is done and cancels nothing");
        let tasks = vec![
            evloop::spawn(slow_operation("fast", 50)),
            evloop::spawn(slow_operation("medium", 150)),
            evloop::spawn(slow_operation("slow", 250)),
        ];
        let (done, pending) = evloop::wait(tasks, ReturnWhen::AllCompleted, Some(ms(100))).await;
        println!("  after 100 ms: {} done, {} pending", done.len(), pending.len());
        for t in done {
            println!("  done: {}", t.await.unwrap());
        }
        for t in pending {
            println!("  still running, finished later: {}", t.await.unwrap());
        }

        println!("\n== a timeout around a task group cancels the body and every child");
        let r = evloop::timeout(
            ms(100),
            evloop::task_group(|tg| async move {
                for i in 0..3 {
                    tg.start_soon(evloop::on_cancel(
                        async move {
                            evloop::sleep(ms(10_000)).await;
                            Ok::<_, BoxError>(())
                        },
                        move || println!("  child {i} cancelled"),
                    ));
                }
                evloop::sleep(ms(10_000)).await;
                Ok::<_, BoxError>(())
            }),
        )
        .await;
        evloop::yield_now().await; // cancelled tasks are dropped at the loop's next opportunity
        println!("  {:?}", r.map(|_| ()));

        println!("\n== timeout_scope (asyncio.timeout): a deadline that can move");
        let start = evloop::time();
        let r = evloop::timeout_scope(Some(start + ms(100)), |scope| async move {
            scope.reschedule(Some(start + ms(300))); // more time after all
            slow_operation("rescheduled", 200).await
        })
        .await;
        println!("  {r:?} after {:?}", evloop::time() - start);
    });
}
