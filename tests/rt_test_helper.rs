//! evloop::test::run_test.

use std::time::{Duration, Instant};

use evloop_test_support::panic_message;

#[test]
fn runs_on_a_paused_clock_and_returns_the_output() {
    let real = Instant::now();
    let v = evloop::test::run_test(async {
        evloop::sleep(Duration::from_secs(3600)).await;
        let t = evloop::spawn(async { 41 });
        t.await.unwrap() + 1
    });
    assert_eq!(v, 42);
    assert!(real.elapsed() < Duration::from_secs(60), "the clock was not paused");
}

#[test]
fn a_test_that_leaks_a_task_fails_naming_it() {
    let p = std::panic::catch_unwind(|| {
        evloop::test::run_test(async {
            drop(evloop::spawn_named("forgotten", std::future::pending::<()>()));
        })
    })
    .unwrap_err();
    let msg = panic_message(&*p);
    assert!(msg.contains("left 1 task(s) running"), "{msg}");
    assert!(
        msg.contains("'forgotten'") && msg.contains("rt_test_helper.rs"),
        "{msg}"
    );
}

#[test]
fn cancelled_and_finished_tasks_are_not_leaks() {
    evloop::test::run_test(async {
        let t = evloop::spawn(std::future::pending::<()>());
        t.cancel();
        drop(evloop::spawn(async {}));
    });
}
