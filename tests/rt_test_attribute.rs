//! `#[evloop::test]`: the attribute on real tests. (What it rejects is in the
//! `compile_fail` doctests on the attribute, in src/testing.rs.)

use std::cell::Cell;
use std::time::{Duration, Instant};

use evloop::BoxError;

#[evloop::test]
async fn sleeps_an_hour_on_the_paused_clock_at_once() {
    let real = Instant::now();
    let start = evloop::time();
    evloop::sleep(Duration::from_secs(3600)).await;
    assert_eq!(evloop::time() - start, Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(60), "the clock was not paused");
}

#[evloop::test]
async fn timers_fire_in_deadline_order_on_the_paused_clock() {
    let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let tasks: Vec<_> = [30u64, 10, 20]
        .into_iter()
        .map(|mins| {
            let order = order.clone();
            evloop::spawn(async move {
                evloop::sleep(Duration::from_secs(60 * mins)).await;
                order.borrow_mut().push(mins);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.borrow(), [10, 20, 30]);
}

#[evloop::test]
async fn returns_a_result_and_uses_question_mark() -> Result<(), BoxError> {
    let n: u32 = "41".parse()?;
    let t = evloop::spawn(async move { n + 1 });
    if t.await? == 42 {
        return Ok(());
    }
    Err("unreachable".into())
}

thread_local! {
    /// Set by `an_err_from_a_result_test_reaches_the_harness` to make
    /// `fails_when_asked` fail; unset (other threads) it passes.
    static FAIL: Cell<bool> = const { Cell::new(false) };
}

#[evloop::test]
async fn fails_when_asked() -> Result<(), String> {
    evloop::sleep(Duration::from_secs(1)).await;
    if FAIL.with(Cell::get) {
        return Err("asked to fail".into());
    }
    Ok(())
}

/// The generated `#[test]` fn returns the body's `Result` itself: the
/// harness gets the `Err`.
#[test]
fn an_err_from_a_result_test_reaches_the_harness() {
    FAIL.with(|f| f.set(true));
    assert_eq!(fails_when_asked(), Err("asked to fail".to_string()));
}

/// A doc comment and a lint attribute stay on the test.
#[evloop::test]
#[allow(clippy::bool_assert_comparison)]
async fn keeps_doc_comments_and_lint_attributes() {
    // The body runs as the loop's main task.
    assert_eq!(evloop::current_task().unwrap().name() == "main", true);
}

#[evloop::test]
#[should_panic(expected = "left 1 task(s) running: 'forgotten'")]
async fn a_leaked_task_fails_the_test() {
    drop(evloop::spawn_named("forgotten", std::future::pending::<()>()));
}

#[evloop::test]
#[should_panic(expected = "boom")]
async fn a_panic_in_the_body_fails_the_test() {
    evloop::sleep(Duration::from_secs(5)).await;
    panic!("boom");
}

#[evloop::test]
#[ignore = "shows that #[ignore] is kept; it passes when run with --ignored"]
async fn ignored_tests_stay_ignored() {
    evloop::yield_now().await;
}

#[evloop::test(real_clock)]
async fn real_clock_sleeps_for_real() {
    let real = Instant::now();
    let start = evloop::time();
    evloop::sleep(Duration::from_millis(20)).await;
    assert!(real.elapsed() >= Duration::from_millis(20));
    // On a real clock, loop time and wall time move together.
    assert!(evloop::time() - start >= Duration::from_millis(20));
}

#[evloop::test(real_clock)]
#[should_panic(expected = "left 1 task(s) running")]
async fn real_clock_still_checks_for_leaks() {
    drop(evloop::spawn(evloop::sleep(Duration::from_secs(3600))));
}

#[evloop::test(real_clock)]
async fn real_clock_timeout() -> Result<(), BoxError> {
    let slow = evloop::timeout(Duration::from_millis(5), evloop::sleep(Duration::from_secs(10))).await;
    assert!(slow.is_err());
    let fast = evloop::timeout(Duration::from_secs(10), async { 7 }).await?;
    assert_eq!(fast, 7);
    Ok(())
}

/// Each test gets a fresh loop: tasks of the tests running beside it (on
/// other threads, with their own loops) are not visible here.
#[evloop::test]
async fn each_test_gets_its_own_loop() {
    let t = evloop::spawn(async { evloop::all_tasks().len() });
    assert_eq!(t.await.unwrap(), 2, "only the task itself and the main task");
}
