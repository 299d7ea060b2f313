//! The guide's "anyio (Backend Agnostic)": anyio's API on evloop, then the
//! same code running on evloop and on another executor.
//!
//! | anyio | evloop |
//! |---|---|
//! | `async with anyio.create_task_group() as tg:` | `evloop::task_group(\|tg\| async move { ... })` |
//! | `tg.start_soon(fetch_data, "url1")` | `tg.start_soon(fetch_data("url1", ...))` |
//! | `anyio.CapacityLimiter(10)`, `async with limiter:` | `sync::CapacityLimiter::new(10)`, `let _token = limiter.acquire().await;` |
//! | `with anyio.move_on_after(5.0):` | `evloop::timeout(d, fut).await.ok()`: `None` if time ran out |
//! | `with anyio.fail_after(5.0):` | `evloop::timeout(d, fut).await?`: `Err(Elapsed)` propagates |
//!
//! "Backend agnostic": anyio runs one program on asyncio or on trio. In Rust
//! the executor is the backend, and evloop's primitives (`evloop::sync`) and
//! its `gather`, `try_gather` and `join!` use nothing from it but the
//! `std::task::Waker` each poll is given. So `fetch_all` below, written
//! against those only, runs unchanged on evloop and on
//! `futures::executor::LocalPool`, and prints the same lines. What it needs
//! from the backend it takes as a parameter: here a `sleep` function
//! (`evloop::sleep` on evloop, `async_io::Timer` elsewhere). Tasks, timers,
//! timeouts, task groups, `to_thread` and `RateLimiter` belong to the loop.
//!
//! The seed's 1 s request is 100 ms here (20 ms in the portable part), its
//! 5 s limits 50 ms.
//!
//! `cargo run --example anyio_portability`

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::CapacityLimiter;
use evloop::BoxError;

/// The seed's `fetch_data`. The seed builds a limiter inside each call,
/// which limits nothing; here one limiter is shared by every call.
async fn fetch_data(url: &str, limiter: Rc<CapacityLimiter>) -> Result<&'static [u8], BoxError> {
    let _token = limiter.acquire().await; // async with limiter:
    println!(
        "fetching {url} ({} of {} tokens borrowed)",
        limiter.borrowed_tokens(),
        limiter.total_tokens()
    );
    evloop::sleep(Duration::from_millis(100)).await; // HTTP request would go here
    Ok(b"data")
}

async fn slow_operation() -> &'static str {
    evloop::sleep(Duration::from_secs(1)).await;
    "done"
}

/// `with anyio.fail_after(...)`: the timeout is an error, and `?` passes it on.
async fn fail_after_example() -> Result<&'static str, BoxError> {
    let done = evloop::timeout(Duration::from_millis(50), slow_operation()).await?;
    Ok(done)
}

async fn anyio_on_evloop() -> Result<(), BoxError> {
    println!("== task group with start_soon, a CapacityLimiter of 2");
    let limiter = Rc::new(CapacityLimiter::new(2));
    evloop::task_group(|tg| async move {
        for url in ["url1", "url2", "url3", "url4"] {
            tg.start_soon(fetch_data(url, limiter.clone()));
        }
        Ok::<_, BoxError>(())
    })
    .await?;
    println!("task group done: every child finished");

    println!("\n== move_on_after and fail_after");
    let outcome = evloop::timeout(Duration::from_millis(50), slow_operation()).await.ok();
    println!("move_on_after: {outcome:?}, and the program moves on");
    match fail_after_example().await {
        Ok(done) => println!("fail_after: {done}"),
        Err(e) => println!("fail_after: error: {e}"),
    }
    Ok(())
}

/// Portable code: `evloop::sync` and `evloop::gather` only, no evloop loop
/// required. Fetches `urls` with at most two at once and returns what it
/// would print. `sleep` is the one thing it asks of the backend.
async fn fetch_all<S, F>(urls: &[&str], sleep: S) -> Vec<String>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let limiter = CapacityLimiter::new(2);
    let most_at_once = Cell::new(0);
    let (limiter, most_at_once, sleep) = (&limiter, &most_at_once, &sleep);
    let mut lines = evloop::gather(urls.iter().map(|url| async move {
        let _token = limiter.acquire().await;
        most_at_once.set(most_at_once.get().max(limiter.borrowed_tokens()));
        sleep(Duration::from_millis(20)).await; // the request
        format!("{url}: data")
    }))
    .await;
    lines.push(format!("at most {} fetches at once", most_at_once.get()));
    lines
}

const URLS: [&str; 4] = ["url1", "url2", "url3", "url4"];

fn main() -> Result<(), BoxError> {
    evloop::run(anyio_on_evloop())?;

    println!("\n== the same fetch_all on evloop");
    let on_evloop = evloop::run(fetch_all(&URLS, evloop::sleep));
    for line in &on_evloop {
        println!("{line}");
    }

    println!("\n== the same fetch_all on futures::executor::LocalPool, no evloop loop");
    let mut pool = futures::executor::LocalPool::new();
    let on_local_pool = pool.run_until(fetch_all(&URLS, |d| async move {
        async_io::Timer::after(d).await;
    }));
    for line in &on_local_pool {
        println!("{line}");
    }
    println!("same output on both executors: {}", on_evloop == on_local_pool);
    Ok(())
}
