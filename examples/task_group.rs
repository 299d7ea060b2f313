//! task_group: structured concurrency, ErrorGroup and `except*`.
//!
//! `cargo run --example task_group`

use std::fmt;
use std::time::{Duration, Instant};

use evloop::BoxError;

#[derive(Debug)]
struct ValueError(String);
impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ValueError {}

#[derive(Debug)]
struct TypeError(String);
impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TypeError {}

async fn fetch_data(source: &'static str, delay_ms: u64) -> Result<String, BoxError> {
    evloop::sleep(Duration::from_millis(delay_ms)).await;
    Ok(format!("data from {source}"))
}

async fn process_item(item: &'static str) -> Result<String, BoxError> {
    evloop::sleep(Duration::from_millis(100)).await;
    if item == "error" {
        return Err(Box::new(ValueError(format!("Failed to process: {item}"))));
    }
    Ok(format!("Processed: {item}"))
}

/// The seed's `might_fail`: multiples of 3 raise ValueError, of 5 TypeError.
async fn might_fail(n: u32) -> Result<u32, BoxError> {
    if n % 3 == 0 {
        return Err(Box::new(ValueError(format!("Bad value: {n}"))));
    }
    if n % 5 == 0 {
        return Err(Box::new(TypeError(format!("Wrong type: {n}"))));
    }
    Ok(n * 2)
}

fn main() {
    evloop::run(async {
        println!("== async with TaskGroup() as tg: the group waits for every child");
        let start = Instant::now();
        let (t1, t2, t3) = evloop::task_group(|tg| async move {
            let t1 = tg.spawn(fetch_data("API 1", 200));
            let t2 = tg.spawn(fetch_data("API 2", 100));
            let t3 = tg.spawn(fetch_data("API 3", 300));
            Ok::<_, BoxError>((t1, t2, t3))
        })
        .await
        .unwrap();
        println!("  all done after {:?}", start.elapsed());
        for t in [t1, t2, t3] {
            println!("  {}", t.await.unwrap());
        }

        println!("\n== one child fails: the others are cancelled, errors come back as a group");
        let start = Instant::now();
        let err = evloop::task_group(|tg| async move {
            for item in ["a", "error", "c"] {
                tg.start_soon(process_item(item));
            }
            tg.start_soon(evloop::on_cancel(fetch_data("slow API", 60_000), || {
                println!("  slow child cancelled")
            }));
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        println!(
            "  after {:?}:\n  {}",
            start.elapsed(),
            err.to_string().replace('\n', "\n  ")
        );

        println!("\n== the seed's might_fail(1..=15), split like except* ValueError / except* TypeError");
        let group = evloop::task_group(|tg| async move {
            for i in 1..=15 {
                tg.start_soon(might_fail(i));
            }
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        let (values, rest) = group.split::<ValueError>();
        println!("  ValueErrors: {}", values.len());
        for e in &values {
            println!("    - {e}");
        }
        let (types, rest) = match rest {
            Some(rest) => rest.split::<TypeError>(),
            None => (Vec::new(), None),
        };
        println!("  TypeErrors: {}", types.len());
        for e in &types {
            println!("    - {e}");
        }
        println!("  Other errors: {}", rest.map_or(0, |r| r.len()));

        println!("\n== children can spawn siblings; the group waits for those too");
        let start = Instant::now();
        evloop::task_group(|tg| async move {
            let tg2 = tg.clone();
            tg.start_soon(async move {
                evloop::sleep(Duration::from_millis(100)).await;
                println!("  parent child done, spawning a sibling");
                tg2.start_soon(async {
                    evloop::sleep(Duration::from_millis(100)).await;
                    println!("  late sibling done");
                    Ok::<_, BoxError>(())
                });
                Ok::<_, BoxError>(())
            });
            Ok::<_, BoxError>(()) // the body finishes at once
        })
        .await
        .unwrap();
        println!("  task_group returned after {:?}", start.elapsed());
    });
}
