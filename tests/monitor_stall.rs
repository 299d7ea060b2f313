//! The stall watchdog: a poll that blocks the loop is reported while it is
//! still running. These tests run on real time (the watchdog is a thread
//! on the real clock), with margins wide enough for a loaded machine: the
//! blocking polls last several thresholds.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evloop::monitor::Stall;

/// Stalls reported, with when they were reported.
type Reports = Arc<Mutex<Vec<(Instant, Stall)>>>;

fn watched(threshold: Duration) -> (evloop::EventLoop, Reports) {
    let reports: Reports = Arc::default();
    let r = reports.clone();
    let lp = evloop::EventLoop::builder()
        .stall_threshold(threshold)
        .on_stall(move |stall| {
            let at = Instant::now();
            r.lock().unwrap_or_else(|p| p.into_inner()).push((at, stall.clone()))
        })
        .build()
        .unwrap();
    (lp, reports)
}

fn blocking_work(d: Duration) {
    std::thread::sleep(d); // deliberately blocks the loop
}

#[test]
fn a_blocking_poll_is_reported_before_it_ends_and_only_once() {
    let (lp, reports) = watched(Duration::from_millis(100));
    let ended = lp.block_on(async {
        evloop::spawn_named("blocker", async {
            blocking_work(Duration::from_millis(600));
            Instant::now()
        })
        .await
        .unwrap()
    });
    drop(lp); // joins the watchdog: every report is in
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "one report per stall: {reports:?}");
    let (at, stall) = &reports[0];
    assert!(*at < ended, "reported while the poll was still running");
    assert_eq!(stall.task_name(), "blocker");
    assert!(stall.task_id().is_some());
    assert!(stall.elapsed() >= Duration::from_millis(100), "{stall}");
    assert!(
        stall.spawned_at().unwrap().file().ends_with("monitor_stall.rs"),
        "{stall}"
    );
    assert!(stall
        .to_string()
        .starts_with("the loop is stalled: 'blocker' has been running for "));
}

#[test]
fn polls_shorter_than_the_threshold_are_never_reported() {
    let (lp, reports) = watched(Duration::from_millis(300));
    lp.block_on(async {
        for _ in 0..10 {
            blocking_work(Duration::from_millis(10));
            evloop::yield_now().await;
        }
        // The loop idles in epoll_wait: not a stall either.
        evloop::sleep(Duration::from_millis(700)).await;
    });
    drop(lp);
    assert!(reports.lock().unwrap().is_empty(), "{:?}", reports.lock().unwrap());
}

#[test]
fn a_cancelled_callback_followed_by_idling_is_not_a_stall() {
    let (lp, reports) = watched(Duration::from_millis(50));
    lp.block_on(async {
        // The cancelled entry is the last one the next tick pops (and
        // skips); then the loop idles in epoll_wait.
        evloop::call_soon(|| ()).cancel();
        evloop::sleep(Duration::from_millis(400)).await;
    });
    drop(lp);
    assert!(reports.lock().unwrap().is_empty(), "{:?}", reports.lock().unwrap());
}

#[test]
fn a_stuck_callback_is_reported_as_a_callback() {
    let (lp, reports) = watched(Duration::from_millis(100));
    lp.block_on(async {
        evloop::call_soon(|| blocking_work(Duration::from_millis(500)));
        evloop::yield_now().await;
    });
    drop(lp);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let stall = &reports[0].1;
    assert_eq!(stall.task_name(), "callback");
    assert_eq!(stall.task_id(), None);
    assert!(stall.spawned_at().unwrap().file().ends_with("monitor_stall.rs"));
}

/// The mistake the watchdog is for: the main task waits, on the loop's own
/// thread, for an answer that only a task of this loop could send. With a
/// real deadlock the program hangs silently; here the wait is bounded so
/// the test ends.
fn wait_for_an_answer_the_loop_must_send() -> Result<u32, mpsc::RecvTimeoutError> {
    let (tx, rx) = mpsc::channel();
    let _answer = evloop::spawn(async move { tx.send(42).unwrap() });
    rx.recv_timeout(Duration::from_millis(800)) // blocks the loop: the task never runs
}

#[test]
fn a_loop_blocked_on_its_own_work_is_reported_with_the_line_that_blocks() {
    let (lp, reports) = watched(Duration::from_millis(150));
    let answer = lp.block_on(async { wait_for_an_answer_the_loop_must_send() });
    assert!(answer.is_err(), "the loop could not answer while blocked");
    drop(lp);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let stall = &reports[0].1;
    assert_eq!(stall.task_name(), "main");
    assert!(stall.elapsed() >= Duration::from_millis(150));
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let stack = stall.backtrace().expect("a stack on Linux");
        assert!(stack.contains("wait_for_an_answer_the_loop_must_send"), "{stack}");
        assert!(stack.contains("monitor_stall.rs:"), "{stack}");
        assert!(stack.contains("recv_timeout"), "{stack}");
        // The capture's own frames are left out.
        assert!(!stack.contains("on_signal"), "{stack}");
    }
}

/// Run in a child process with EVLOOP_DEBUG=1 by the test below.
#[test]
fn evloop_debug_child() {
    if std::env::var_os("EVLOOP_STALL_CHILD").is_none() {
        return;
    }
    evloop::run(async {
        evloop::spawn_named("stuck", async { blocking_work(Duration::from_millis(1800)) })
            .await
            .unwrap();
    });
}

#[test]
fn evloop_debug_reports_a_stall_of_a_second_on_stderr() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["evloop_debug_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("EVLOOP_DEBUG", "1")
        .env("EVLOOP_STALL_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("evloop: the loop is stalled: 'stuck' has been running for 1."),
        "stderr was: {stderr}"
    );
    assert!(stderr.contains("monitor_stall.rs"), "{stderr}");
}
