//! Helpers for testing async code: the pytest-asyncio of evloop.

use std::future::Future;

/// Runs `fut` as a test: on a fresh loop with a paused clock (an hour of
/// `sleep` takes no real time, and events keep their order), and fails if
/// the test leaves tasks running when it returns — the bug pytest-asyncio
/// warns about as "Task was destroyed but it is pending".
///
/// ```
/// use std::time::Duration;
///
/// // In a test file this function carries `#[test]`.
/// fn retries_back_off() {
///     evloop::test::run_test(async {
///         let start = evloop::time();
///         for _ in 0..3 {
///             evloop::sleep(Duration::from_secs(60)).await; // instant
///         }
///         assert_eq!(evloop::time() - start, Duration::from_secs(180));
///     });
/// }
/// # retries_back_off();
/// ```
///
/// # Panics
/// If `fut` panics, or if tasks it spawned are still running when it
/// returns (the message names them); cancel or await them first.
#[track_caller]
pub fn run_test<F: Future>(fut: F) -> F::Output {
    let lp = crate::EventLoop::builder()
        .paused_clock(true)
        .build()
        .unwrap_or_else(|e| panic!("evloop::test::run_test could not create an event loop: {e}"));
    let (output, leaked) = lp.block_on(async {
        let output = fut.await;
        // Let tasks that were just cancelled or finished settle.
        crate::yield_now().await;
        (output, crate::all_tasks())
    });
    lp.close();
    if !leaked.is_empty() {
        let names: Vec<String> = leaked
            .iter()
            .map(|t| format!("'{}' (spawned at {})", t.name(), t.spawned_at()))
            .collect();
        panic!(
            "the test left {} task(s) running: {}; await or cancel them before the test ends",
            leaked.len(),
            names.join(", ")
        );
    }
    output
}
