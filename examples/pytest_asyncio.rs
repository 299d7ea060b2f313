//! pytest_asyncio: the seeds' pytest-asyncio tests and fixtures as evloop
//! tests, with `#[evloop::test]`.
//!
//! `cargo test --example pytest_asyncio` runs them as tests (Cargo.toml marks
//! this example `test = true`, so `cargo test` runs them too);
//! `cargo run --example pytest_asyncio` runs the same scenarios and prints
//! one line each.
//!
//! Every test runs on a fresh loop with a paused clock: the ten-second
//! `slow_operation` and the hour-long `long_running_task` take no real time.
//! And a test that leaves a task running fails — which is why the fixtures'
//! teardown matters: `AsyncClient` runs a heartbeat task until it is
//! disconnected.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use evloop::{BoxError, Task};

// ---------------------------------------------------------------------------
// The code under test: the names the seeds' tests call.

/// The tutorial's `async_task`.
async fn async_task() -> &'static str {
    evloop::sleep(Duration::from_millis(100)).await;
    "Done"
}

/// The tutorial's `slow_operation`: far slower than its test's timeout.
async fn slow_operation() -> &'static str {
    evloop::sleep(Duration::from_secs(10)).await;
    "finally"
}

/// The guide's `fetch_data`: a pretend HTTP GET returning a JSON body.
async fn fetch_data(url: &str) -> Result<String, BoxError> {
    if !url.starts_with("https://") {
        return Err(format!("unsupported URL: {url}").into());
    }
    evloop::sleep(Duration::from_millis(80)).await;
    Ok(format!(r#"{{"data": "from {url}"}}"#))
}

/// The tutorial's database connection.
struct Connection {
    open: Cell<bool>,
}

/// `create_connection()`: connecting takes a round trip.
async fn create_connection() -> Connection {
    evloop::sleep(Duration::from_millis(30)).await;
    Connection { open: Cell::new(true) }
}

impl Connection {
    /// `query(sql)`: one row for `SELECT 1`, none otherwise.
    async fn query(&self, sql: &str) -> Option<Vec<i64>> {
        assert!(self.open.get(), "query on a closed connection");
        evloop::sleep(Duration::from_millis(5)).await;
        (sql == "SELECT 1").then(|| vec![1])
    }

    async fn close(&self) {
        evloop::sleep(Duration::from_millis(5)).await;
        self.open.set(false);
    }
}

/// The guide's `AsyncClient`. While connected it keeps a heartbeat task
/// running, so a client that is never disconnected leaves a task behind —
/// and fails the test.
struct AsyncClient {
    heartbeat: Option<Task<()>>,
}

impl AsyncClient {
    fn new() -> AsyncClient {
        AsyncClient { heartbeat: None }
    }

    async fn connect(&mut self) {
        evloop::sleep(Duration::from_millis(20)).await;
        self.heartbeat = Some(evloop::spawn_named("AsyncClient heartbeat", async {
            let mut every = evloop::interval(Duration::from_secs(15));
            loop {
                every.tick().await; // a keep-alive ping would go here
            }
        }));
    }

    /// `get(path)`: a response line.
    async fn get(&self, path: &str) -> String {
        evloop::sleep(Duration::from_millis(50)).await;
        format!("200 OK {path}")
    }

    async fn disconnect(self) {
        if let Some(heartbeat) = self.heartbeat {
            heartbeat.cancel();
            let _ = heartbeat.await; // returns once the task is gone
        }
    }
}

async fn failing_task() -> Result<(), BoxError> {
    Err("ValueError: failing_task failed".into())
}

async fn another_failing_task() -> Result<(), BoxError> {
    Err("TypeError: another_failing_task failed".into())
}

async fn long_running_task() -> &'static str {
    evloop::sleep(Duration::from_secs(3600)).await;
    "finished (never, in the test)"
}

// ---------------------------------------------------------------------------
// Fixtures. A pytest fixture with `yield` is setup, the test, teardown; in
// Rust it is an async fn that does the setup, hands the value to the test
// (an async closure) and, when the test returns, tears down. A test that
// panics has failed already: its async teardown is skipped (put cleanup that
// must always run in a `Drop`), and the loop drops what is left.

/// The tutorial's `db_connection` fixture.
async fn db_connection<R>(test: impl AsyncFnOnce(&Connection) -> R) -> R {
    let conn = create_connection().await;
    let result = test(&conn).await; // yield conn
    conn.close().await;
    result
}

/// The guide's `async_client` fixture.
async fn async_client<R>(test: impl AsyncFnOnce(&AsyncClient) -> R) -> R {
    let mut client = AsyncClient::new();
    client.connect().await;
    let result = test(&client).await; // yield client
    client.disconnect().await;
    result
}

// ---------------------------------------------------------------------------
// The tests, as async fns: the `#[evloop::test]`s below and `main` run them.

/// Tutorial: `test_async_function`.
async fn test_async_function() {
    let result = async_task().await;
    assert_eq!(result, "Done");
}

/// Tutorial: `test_with_timeout` (`pytest.raises(asyncio.TimeoutError)`
/// around `wait_for`).
async fn test_with_timeout() {
    let result = evloop::timeout(Duration::from_secs(1), slow_operation()).await;
    assert!(result.is_err(), "expected a timeout, got {result:?}");
}

/// Tutorial: `test_with_fixture(db_connection)`.
async fn test_with_fixture() {
    db_connection(async |db_connection| {
        let result = db_connection.query("SELECT 1").await;
        assert!(result.is_some());
    })
    .await;
}

/// Guide: `test_fetch_data`. A test may return a `Result`; `?` fails it.
async fn test_fetch_data() -> Result<(), BoxError> {
    let result = fetch_data("https://api.example.com").await?;
    assert!(result.contains("data"));
    Ok(())
}

/// Guide: `test_timeout_handling` (`async with asyncio.timeout(0.1)`).
async fn test_timeout_handling() {
    let result = evloop::timeout(Duration::from_millis(100), async {
        evloop::sleep(Duration::from_secs(1)).await;
    })
    .await;
    assert!(result.is_err(), "expected a timeout");
}

/// Guide: `test_concurrent_operations(async_client)`.
async fn test_concurrent_operations() {
    async_client(async |async_client| {
        let results = evloop::gather([async_client.get("/endpoint1"), async_client.get("/endpoint2")]).await;
        assert_eq!(results.len(), 2);
    })
    .await;
}

/// Guide: `test_exception_group` (`pytest.raises(ExceptionGroup)` around a
/// TaskGroup).
async fn test_exception_group() {
    let result = evloop::task_group(|tg| async move {
        tg.start_soon(failing_task());
        tg.start_soon(another_failing_task());
        Ok::<_, BoxError>(())
    })
    .await;
    let group = result.expect_err("expected an ErrorGroup");
    assert_eq!(group.len(), 2);
}

/// Guide: `test_cancellation` (`pytest.raises(asyncio.CancelledError)`
/// around awaiting the cancelled task).
async fn test_cancellation() {
    let task = evloop::spawn(long_running_task());
    evloop::sleep(Duration::from_millis(100)).await;
    task.cancel();
    let error = task.await.expect_err("expected the task to be cancelled");
    assert!(error.is_cancelled());
}

/// Not in the seeds: what the leak check catches. This test connects a
/// client without the fixture and forgets to disconnect it, so the
/// heartbeat task outlives the test — and the test fails.
async fn test_forgotten_disconnect() {
    let mut client = AsyncClient::new();
    client.connect().await;
    assert_eq!(client.get("/endpoint1").await, "200 OK /endpoint1");
}

/// The message the leak check fails `test_forgotten_disconnect` with (the
/// `#[should_panic(expected = ...)]` below spells it out: it takes a literal).
const LEAK: &str = "left 1 task(s) running: 'AsyncClient heartbeat'";

// ---------------------------------------------------------------------------
// `cargo run --example pytest_asyncio`: the same tests, one line each.

/// What a test returns: `()` or a `Result`, as for `#[test]`.
trait Outcome {
    fn into_result(self) -> Result<(), String>;
}

impl Outcome for () {
    fn into_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Debug> Outcome for Result<(), E> {
    fn into_result(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// Runs `test` through `evloop::test::run_test`, as `#[evloop::test]`
/// would, and prints its outcome and how much loop time it took. `expect_panic`
/// is `#[should_panic(expected = ...)]`. Returns true if it went as expected.
fn run<Fut>(name: &str, test: fn() -> Fut, expect_panic: Option<&str>) -> bool
where
    Fut: Future<Output: Outcome>,
{
    // An expected panic is no news: no report on stderr for it.
    let hook = expect_panic.map(|_| {
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        hook
    });
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        evloop::test::run_test(async {
            let start = evloop::time();
            let result = test().await.into_result();
            (result, evloop::time() - start)
        })
    }));
    if let Some(hook) = hook {
        panic::set_hook(hook);
    }
    let (ok, line) = match (outcome, expect_panic) {
        (Ok((Ok(()), took)), None) => (true, format!("ok (loop time {took:?})")),
        (Ok((Err(e), _)), _) => (false, format!("FAILED: returned Err({e})")),
        (Ok(_), Some(expected)) => (false, format!("FAILED: did not panic with {expected:?}")),
        (Err(p), expected) => {
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            match expected {
                Some(expected) if msg.contains(expected) => (true, format!("ok (failed as it should: {msg})")),
                _ => (false, format!("FAILED: {msg}")),
            }
        }
    };
    println!("{name} ... {line}");
    ok
}

fn main() {
    let results = [
        run("test_async_function", test_async_function, None),
        run("test_with_timeout", test_with_timeout, None),
        run("test_with_fixture", test_with_fixture, None),
        run("test_fetch_data", test_fetch_data, None),
        run("test_timeout_handling", test_timeout_handling, None),
        run("test_concurrent_operations", test_concurrent_operations, None),
        run("test_exception_group", test_exception_group, None),
        run("test_cancellation", test_cancellation, None),
        run("test_forgotten_disconnect", test_forgotten_disconnect, Some(LEAK)),
    ];
    let passed = results.iter().filter(|ok| **ok).count();
    let failed = results.len() - passed;
    println!("test result: {passed} passed; {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// `cargo test --example pytest_asyncio`: the same tests, under the test harness.

#[cfg(test)]
mod tests {
    use evloop::BoxError;

    #[evloop::test]
    async fn test_async_function() {
        super::test_async_function().await;
    }

    #[evloop::test]
    async fn test_with_timeout() {
        super::test_with_timeout().await;
    }

    #[evloop::test]
    async fn test_with_fixture() {
        super::test_with_fixture().await;
    }

    #[evloop::test]
    async fn test_fetch_data() -> Result<(), BoxError> {
        super::test_fetch_data().await
    }

    #[evloop::test]
    async fn test_timeout_handling() {
        super::test_timeout_handling().await;
    }

    #[evloop::test]
    async fn test_concurrent_operations() {
        super::test_concurrent_operations().await;
    }

    #[evloop::test]
    async fn test_exception_group() {
        super::test_exception_group().await;
    }

    #[evloop::test]
    async fn test_cancellation() {
        super::test_cancellation().await;
    }

    #[evloop::test]
    #[should_panic(expected = "left 1 task(s) running: 'AsyncClient heartbeat'")]
    async fn test_forgotten_disconnect() {
        super::test_forgotten_disconnect().await;
    }
}
