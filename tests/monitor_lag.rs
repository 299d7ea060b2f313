//! lag_monitor.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

#[test]
fn lag_monitor_reports_a_deliberately_blocked_loop() {
    let lp = evloop::EventLoop::builder().measure(true).build().unwrap();
    lp.block_on(async {
        let lags = Rc::new(RefCell::new(Vec::new()));
        let l = lags.clone();
        let monitor = evloop::monitor::lag_monitor(Duration::from_millis(10), Duration::from_millis(30), move |lag| {
            l.borrow_mut().push(lag)
        });
        assert_eq!(monitor.name(), "evloop-lag-monitor");
        evloop::sleep(Duration::from_millis(25)).await;
        assert!(
            lags.borrow().is_empty(),
            "an idle loop is not lagging: {:?}",
            lags.borrow()
        );
        std::thread::sleep(Duration::from_millis(80)); // the loop cannot run anything
        evloop::sleep(Duration::from_millis(25)).await;
        monitor.cancel();
        let lags = lags.borrow();
        assert_eq!(lags.len(), 1, "one late wake-up: {lags:?}");
        assert!(lags[0] >= Duration::from_millis(60), "{lags:?}");
        let summary = evloop::monitor::stats().loop_lag.unwrap();
        assert!(summary.count >= 3);
        assert!(summary.max >= Duration::from_millis(60));
    });
}

#[test]
#[should_panic(expected = "interval must be greater than zero")]
fn a_zero_interval_is_refused() {
    evloop::run(async {
        drop(evloop::monitor::lag_monitor(Duration::ZERO, Duration::ZERO, |_| {}));
    });
}
