//! Slow-poll detection and EVLOOP_DEBUG.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn blocking_work(d: Duration) {
    std::thread::sleep(d); // deliberately blocks the loop
}

#[test]
fn a_blocking_task_is_reported_with_its_name_duration_and_spawn_site() {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    let lp = evloop::EventLoop::builder()
        .slow_poll_threshold(Duration::from_millis(20))
        .on_slow_poll(move |slow| r.borrow_mut().push(slow.clone()))
        .build()
        .unwrap();
    lp.block_on(async {
        let quick = evloop::spawn_named("quick", async {
            for _ in 0..10 {
                evloop::yield_now().await;
            }
        });
        let slow = evloop::spawn_named("blocker", async { blocking_work(Duration::from_millis(60)) });
        quick.await.unwrap();
        slow.await.unwrap();
    });
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "only the blocking poll is reported: {reports:?}");
    let r = &reports[0];
    assert_eq!(r.task_name(), "blocker");
    assert!(r.duration() >= Duration::from_millis(55), "{:?}", r.duration());
    assert!(
        r.spawned_at().file().ends_with("monitor_slow_poll.rs"),
        "{}",
        r.spawned_at()
    );
    let line = r.to_string();
    assert!(line.starts_with("Executing task 'blocker' (spawned at "), "{line}");
    assert!(line.contains(" took 0.0"), "{line}");
}

#[test]
fn without_monitoring_no_measurements_are_kept() {
    evloop::run(async {
        evloop::spawn(async {}).await.unwrap();
        let s = evloop::monitor::stats();
        assert!(s.poll_time.is_none() && s.schedule_latency.is_none());
    });
}

#[test]
fn measuring_summarises_poll_time_and_schedule_latency() {
    let lp = evloop::EventLoop::builder().measure(true).build().unwrap();
    lp.block_on(async {
        let t = evloop::spawn(async {
            blocking_work(Duration::from_millis(5));
            evloop::yield_now().await;
        });
        evloop::sleep(Duration::from_millis(2)).await;
        t.await.unwrap();
        let s = evloop::monitor::stats();
        let polls = s.poll_time.expect("measuring is on");
        // The task's two polls and the main task's first; the main task's
        // second poll is the one running now, not counted yet.
        assert_eq!(polls.count, 3, "{polls}");
        assert!(polls.max >= Duration::from_millis(4), "{polls}");
        let latency = s.schedule_latency.unwrap();
        assert_eq!(latency.count, 3);
        let lateness = s.timer_lateness.unwrap();
        assert_eq!(lateness.count, 1, "one timer fired");
    });
}

/// Run in a child process with EVLOOP_DEBUG=1 by the test below.
#[test]
fn evloop_debug_child() {
    if std::env::var_os("EVLOOP_MONITOR_CHILD").is_none() {
        return;
    }
    evloop::run(async {
        evloop::spawn_named("stuck", async { blocking_work(Duration::from_millis(150)) })
            .await
            .unwrap();
    });
}

#[test]
fn evloop_debug_prints_the_warning_in_a_child_process() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["evloop_debug_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("EVLOOP_DEBUG", "1")
        .env("EVLOOP_MONITOR_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("evloop: Executing task 'stuck' (spawned at "),
        "stderr was: {stderr}"
    );
    assert!(stderr.contains("monitor_slow_poll.rs"), "{stderr}");
}

#[test]
fn the_main_task_and_callbacks_are_timed_too() {
    use evloop::monitor::PollKind;
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    let lp = evloop::EventLoop::builder()
        .slow_poll_threshold(Duration::from_millis(20))
        .on_slow_poll(move |slow| r.borrow_mut().push(slow.clone()))
        .build()
        .unwrap();
    lp.block_on(async {
        evloop::call_soon(|| blocking_work(Duration::from_millis(40)));
        evloop::call_later(Duration::from_millis(1), || blocking_work(Duration::from_millis(40)));
        blocking_work(Duration::from_millis(40)); // the main task's first poll
        evloop::sleep(Duration::from_millis(5)).await;
    });
    let reports = reports.borrow();
    let kinds: Vec<PollKind> = reports.iter().map(|r| r.kind()).collect();
    assert_eq!(
        kinds,
        [PollKind::Main, PollKind::Callback, PollKind::Callback],
        "{reports:?}"
    );
    let main = &reports[0];
    assert_eq!(main.task_name(), "main");
    assert!(main.task_id().is_some());
    for callback in &reports[1..] {
        assert_eq!(callback.task_name(), "callback");
        assert_eq!(callback.task_id(), None);
        assert!(callback.spawned_at().file().ends_with("monitor_slow_poll.rs"));
        assert!(callback.to_string().starts_with("Executing a callback (scheduled at "));
    }
}

#[test]
fn a_spawned_task_is_of_kind_task() {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    let lp = evloop::EventLoop::builder()
        .slow_poll_threshold(Duration::from_millis(20))
        .on_slow_poll(move |slow| r.borrow_mut().push((slow.kind(), slow.task_id())))
        .build()
        .unwrap();
    let id = lp.block_on(async {
        let t = evloop::spawn(async { blocking_work(Duration::from_millis(40)) });
        let id = t.id();
        t.await.unwrap();
        id
    });
    assert_eq!(*reports.borrow(), [(evloop::monitor::PollKind::Task, Some(id))]);
}
