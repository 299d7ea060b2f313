//! The expert guide's "Async Fundamentals" (*Python Async Programming Expert*):
//!
//! - "Basic Coroutines": an `async fn fetch_data(url)` awaited once from
//!   `main`, with `evloop::run` as the entry point;
//! - "Running Multiple Coroutines": one after the other (slow), together with
//!   `try_gather` (fast; asyncio's plain `gather`, which raises the first
//!   exception), and `gather` over `Result`s, which is
//!   `gather(..., return_exceptions=True)`.
//!
//! The seed's `fetch_data` never fails, which leaves nothing for
//! `return_exceptions` to catch; here a URL starting with `bad://` fails.
//! Its 1 s wait is 100 ms here.
//!
//! `cargo run --example async_fundamentals`

use std::fmt;
use std::time::{Duration, Instant};

use evloop::BoxError;

/// The seed's `{"url": url, "data": "..."}` dict.
#[derive(Debug)]
struct Record {
    url: String,
    data: String,
}

/// What a failed fetch returns (the exception it would raise in Python).
#[derive(Debug)]
struct FetchError {
    url: String,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot reach {}", self.url)
    }
}

impl std::error::Error for FetchError {}

/// Async function (coroutine).
async fn fetch_data(url: &str) -> Result<Record, FetchError> {
    evloop::sleep(Duration::from_millis(100)).await; // never std::thread::sleep!
    if url.starts_with("bad://") {
        return Err(FetchError { url: url.to_string() });
    }
    Ok(Record {
        url: url.to_string(),
        data: "...".to_string(),
    })
}

async fn main_async() -> Result<(), BoxError> {
    println!("== Basic Coroutines: await a single coroutine");
    let result = fetch_data("https://api.example.com").await?;
    println!("{result:?}");

    println!("\n== Running Multiple Coroutines");
    // Sequential - slow!
    let start = Instant::now();
    let result1 = fetch_data("url1").await?;
    let result2 = fetch_data("url2").await?;
    println!("sequential: {} then {}", result1.url, result2.url);
    println!("  took {} ms (100 + 100)", start.elapsed().as_millis());

    // Concurrent - fast! The first error would return at once and cancel
    // the others (asyncio's gather leaves them running).
    let start = Instant::now();
    let results = evloop::try_gather([fetch_data("url1"), fetch_data("url2"), fetch_data("url3")]).await?;
    let urls: Vec<&str> = results.iter().map(|r| r.url.as_str()).collect();
    println!("concurrent: {urls:?}");
    println!("  took {} ms (the three waits overlapped)", start.elapsed().as_millis());

    // With exception handling: every outcome comes back, in input order.
    let results = evloop::gather([fetch_data("url1"), fetch_data("bad://url2")]).await;
    for result in results {
        match result {
            Ok(record) => println!("Success: {} -> {}", record.url, record.data),
            Err(e) => println!("Error: {e}"),
        }
    }
    Ok(())
}

// Entry point: `if __name__ == "__main__": asyncio.run(main())`. An error
// returned by `main_async` ends the program with exit status 1.
fn main() -> Result<(), BoxError> {
    evloop::run(main_async())
}
