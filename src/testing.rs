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
    run_test_with(crate::EventLoop::builder().paused_clock(true), fut)
}

/// Runs `fut` as a test like [`run_test`], on a loop built from `builder`
/// instead of the default paused-clock one: pass `EventLoop::builder()` for
/// a real clock (what `#[evloop::test(real_clock)]` does), or add monitoring
/// options. The leaked-task check is the same.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use evloop::EventLoop;
///
/// // In a test file this function carries `#[test]`.
/// fn sleeps_for_real() {
///     let start = Instant::now();
///     evloop::test::run_test_with(EventLoop::builder(), async {
///         evloop::sleep(Duration::from_millis(20)).await;
///     });
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// }
/// # sleeps_for_real();
/// ```
///
/// # Panics
/// If the loop cannot be built, if `fut` panics, or if tasks it spawned are
/// still running when it returns (the message names them).
#[track_caller]
pub fn run_test_with<F: Future>(builder: crate::Builder, fut: F) -> F::Output {
    let lp = builder
        .build()
        .unwrap_or_else(|e| panic!("evloop::test could not create an event loop: {e}"));
    let (output, leaked) = lp.block_on(async {
        let output = fut.await;
        // Let tasks that were just cancelled or finished settle.
        crate::yield_now().await;
        let main = crate::current_task().map(|t| t.id());
        let others: Vec<_> = crate::all_tasks()
            .into_iter()
            .filter(|t| Some(t.id()) != main)
            .collect();
        (output, others)
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

/// Makes an `async fn` a test: `#[evloop::test]` is `#[test]` plus
/// [`run_test`](crate::test::run_test) — a fresh loop per test, a paused clock
/// (an hour of `sleep` takes no real time, and events keep their order), and
/// a failure if the test leaves tasks running.
///
/// ```
/// use std::time::Duration;
///
/// #[evloop::test]
/// async fn an_hour_of_back_off_takes_no_time() {
///     let start = evloop::time();
///     evloop::sleep(Duration::from_secs(3600)).await; // instant: the clock is paused
///     assert_eq!(evloop::time() - start, Duration::from_secs(3600));
/// }
///
/// /// A test may return a `Result`, like any `#[test]`: `Err` fails it.
/// #[evloop::test]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     assert_eq!("42".parse::<u32>()?, 42);
///     Ok(())
/// }
///
/// /// Other attributes (`#[should_panic]`, `#[ignore]`, doc comments, lints)
/// /// stay on the test.
/// #[evloop::test]
/// #[should_panic(expected = "left 1 task(s) running")]
/// async fn a_forgotten_task_fails_the_test() {
///     drop(evloop::spawn(std::future::pending::<()>()));
/// }
///
/// /// `real_clock`: run on a loop with the real clock
/// /// ([`run_test_with`](crate::test::run_test_with)`(EventLoop::builder(), ..)`).
/// #[evloop::test(real_clock)]
/// async fn talks_to_the_real_world() {
///     let start = std::time::Instant::now();
///     evloop::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// }
/// # fn main() {}
/// ```
///
/// # Expansion
///
/// The function stays as written, nested in a synchronous `#[test]` of the
/// same name, so its return type, `?` and `return` keep their meaning:
///
/// ```text
/// #[evloop::test]                             #[should_panic]
/// #[should_panic]                             #[::core::prelude::v1::test]
/// async fn name() -> R { body }    =>         fn name() -> R {
///                                                 async fn name() -> R { body }
///                                                 ::evloop::test::run_test(name())
///                                             }
/// ```
///
/// With `real_clock` the call is
/// `::evloop::test::run_test_with(::evloop::EventLoop::builder(), name())`.
/// The paths are absolute, so the crate must be a dependency named `evloop`.
///
/// This attribute and the module [`evloop::test`](mod@crate::test) share their
/// name (a macro and a module live in different namespaces):
/// `#[evloop::test]` is the attribute, `evloop::test::run_test` the function.
///
/// # Errors at compile time
///
/// Mistakes are reported on the offending tokens, with what to do instead.
/// The function must be `async`:
///
/// ```compile_fail
/// #[evloop::test]
/// fn not_async() {}
/// // error: the function must be `async` to use #[evloop::test]: write `async fn`, or use a plain
/// //        `#[test]` for a synchronous test
/// # fn main() {}
/// ```
///
/// It takes no parameters (fixtures are values the body creates):
///
/// ```compile_fail
/// #[evloop::test]
/// async fn with_fixture(conn: u32) {}
/// // error: a #[evloop::test] function takes no parameters: the test harness calls it with none; create
/// //        fixtures inside the body instead (for example `let conn = db_connection().await;`)
/// # fn main() {}
/// ```
///
/// It is not generic (nor has a `where` clause):
///
/// ```compile_fail
/// #[evloop::test]
/// async fn generic<T: Default>() {}
/// // error: a #[evloop::test] function cannot be generic: the test harness calls it without type
/// //        arguments; remove the generic parameters (test each type in its own function)
/// # fn main() {}
/// ```
///
/// The only option is `real_clock`, without a value:
///
/// ```compile_fail
/// #[evloop::test(flavor = "current_thread")]
/// async fn unknown_option() {}
/// // error: unknown option `flavor` in #[evloop::test(...)]: the only option is `real_clock` (run on a
/// //        real clock instead of the paused one)
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// #[evloop::test(real_clock = true)]
/// async fn option_with_a_value() {}
/// // error: `real_clock` takes no value: write `#[evloop::test(real_clock)]`, or `#[evloop::test]` for
/// //        the paused clock
/// # fn main() {}
/// ```
///
/// And it is the only test attribute on the function:
///
/// ```compile_fail
/// #[evloop::test]
/// #[test]
/// async fn tested_twice() {}
/// // error: `#[test]` together with `#[evloop::test]`: `#[evloop::test]` already makes the function a
/// //        test; remove `#[test]`
/// # fn main() {}
/// ```
#[doc(inline)]
pub use evloop_macros::test;
