//! The tutorial's first steps (*Python AsyncIO Complete Tutorial*), one section
//! each, with the seed's names:
//!
//! - "Understanding Async/Await: The Basics": `hello()` run by `evloop::run`;
//! - "Coroutines vs Regular Functions": a blocking `sync_task` beside an
//!   `async_task` that gives the loop back while it waits; like a coroutine
//!   object, calling an `async fn` runs nothing until it is awaited;
//! - "Running Multiple Coroutines: asyncio.create_task()": `evloop::spawn`;
//! - "Error Handling: Basic Exception Handling": errors are values; `match`
//!   is the `try`/`except`, `?` is letting the exception propagate.
//!
//! The seed's delays are ten times shorter here (1 s → 100 ms).
//!
//! `cargo run --example basics`

use std::fmt;
use std::time::{Duration, Instant};

/// One of the seed's seconds, scaled down: `seconds(2.0)` is 200 ms.
fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(s / 10.0)
}

/// Milliseconds since `start`, for the timing lines.
fn ms_since(start: Instant) -> u128 {
    start.elapsed().as_millis()
}

async fn hello() {
    println!("Hello");
    evloop::sleep(seconds(1.0)).await; // non-blocking sleep
    println!("World");
}

/// Regular function: blocks the whole thread, and so the whole loop.
fn sync_task() -> &'static str {
    std::thread::sleep(seconds(2.0));
    "Done"
}

/// Coroutine: gives control back to the loop while it waits.
async fn async_task() -> &'static str {
    evloop::sleep(seconds(2.0)).await;
    "Done"
}

/// The seed's `{"name": ..., "data": ...}` dict.
struct Data {
    name: String,
    data: String,
}

impl fmt::Display for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{'name': '{}', 'data': '{}'}}", self.name, self.data)
    }
}

async fn fetch_data(name: &str, delay: f64) -> Data {
    println!("Fetching {name}...");
    evloop::sleep(seconds(delay)).await;
    Data {
        name: name.to_string(),
        data: format!("Data from {name}"),
    }
}

/// Python's `ValueError`, as an error type of our own.
#[derive(Debug)]
struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

/// `raise ValueError(...)` is `return Err(ValueError(...))`.
async fn risky_operation() -> Result<(), ValueError> {
    evloop::sleep(seconds(1.0)).await;
    Err(ValueError("Something went wrong!".to_string()))
}

/// Lets the error of `risky_operation` propagate, as an uncaught exception would.
async fn calls_risky_operation() -> Result<&'static str, ValueError> {
    risky_operation().await?;
    Ok("not reached")
}

fn main() {
    println!("== The Basics: asyncio.run(hello()) is evloop::run(hello())");
    evloop::run(hello());

    evloop::run(async {
        println!("\n== Coroutines vs Regular Functions");
        let coroutine = async_task();
        println!("async_task() called: nothing has run yet (a future is lazy, like a coroutine object)");
        println!("awaited: {}", coroutine.await);

        let start = Instant::now();
        let (a, b) = (sync_task(), sync_task());
        println!("two sync_task() calls: {a}, {b}, one after the other; the loop was blocked meanwhile");
        println!("  took {} ms (2 x 200)", ms_since(start));

        let start = Instant::now();
        let both = evloop::gather([async_task(), async_task()]).await;
        println!("two async_task() gathered: {both:?}, their waits overlapped");
        println!("  took {} ms (200, not 400)", ms_since(start));

        println!("\n== asyncio.create_task(): evloop::spawn");
        // Create tasks for concurrent execution.
        let task1 = evloop::spawn(fetch_data("API 1", 2.0));
        let task2 = evloop::spawn(fetch_data("API 2", 1.0));
        // Do other work while the tasks run: they start on the loop's next
        // tick, so this line comes before their "Fetching ..." lines.
        println!("Tasks are running...");
        // Wait for the results when needed. The outer Result is the task's
        // own outcome: Err only if it was cancelled or panicked.
        let result1 = task1.await.expect("task1 finished");
        let result2 = task2.await.expect("task2 finished");
        println!("{result1} {result2}");

        println!("\n== Basic Exception Handling: errors are values");
        match risky_operation().await {
            Ok(()) => println!("no error"),
            Err(e) => println!("Caught error: {e}"),
        }
        match calls_risky_operation().await {
            Ok(v) => println!("{v}"),
            Err(e) => println!("Propagated with ? and caught one level up: {e}"),
        }
        // In a task, the error is the task's output, seen by whoever awaits it.
        let task = evloop::spawn(risky_operation());
        match task.await {
            Ok(Err(e)) => println!("The task returned an error: {e}"),
            Ok(Ok(())) => println!("the task succeeded"),
            Err(e) => println!("the task itself failed: {e}"),
        }
    });
}
