//! call_soon, call_later, call_at and their handles.

use std::time::Duration;

use evloop_test_support::{paused, Log};

#[test]
fn call_soon_is_fifo_and_cancellable() {
    evloop::run(async {
        let log = Log::new();
        let handles: Vec<_> = (0..5)
            .map(|i| {
                let log = log.clone();
                evloop::call_soon(move || log.push(i.to_string()))
            })
            .collect();
        assert!(handles[0].when().is_none());
        handles[2].cancel();
        assert!(handles[2].is_done());
        assert!(!handles[3].is_done());
        evloop::yield_now().await;
        assert_eq!(log.take(), ["0", "1", "3", "4"]);
        assert!(handles.iter().all(|h| h.is_done()));
    });
}

#[test]
fn a_callback_added_during_a_tick_runs_in_the_next_tick() {
    evloop::run(async {
        let log = Log::new();
        let l = log.clone();
        let start = evloop::monitor::stats().ticks;
        let ticks_seen = std::rc::Rc::new(std::cell::Cell::new((0, 0)));
        let t = ticks_seen.clone();
        evloop::call_soon(move || {
            l.push("outer");
            let first = evloop::monitor::stats().ticks;
            let l2 = l.clone();
            let t2 = t.clone();
            evloop::call_soon(move || {
                l2.push("inner");
                t2.set((first, evloop::monitor::stats().ticks));
            });
            l.push("outer done");
        });
        while log.snapshot().len() < 3 {
            evloop::yield_now().await;
        }
        assert_eq!(log.take(), ["outer", "outer done", "inner"]);
        let (first, second) = ticks_seen.get();
        assert!(first > start);
        assert_eq!(second, first + 1, "the nested callback ran on the very next tick");
    });
}

#[test]
fn call_later_fires_in_deadline_order() {
    paused().block_on(async {
        let log = Log::new();
        let start = evloop::time();
        for (name, ms) in [("c", 30), ("a", 10), ("d", 30), ("b", 20)] {
            let log = log.clone();
            let h = evloop::call_later(Duration::from_millis(ms), move || log.push(name));
            assert_eq!(h.when(), Some(start + Duration::from_millis(ms)));
        }
        evloop::sleep(Duration::from_millis(100)).await;
        assert_eq!(log.take(), ["a", "b", "c", "d"]);
    });
}

#[test]
fn call_at_fires_at_its_instant_and_cancel_removes_the_timer() {
    paused().block_on(async {
        let log = Log::new();
        let l = log.clone();
        let start = evloop::time();
        let when = start + Duration::from_secs(60);
        let l2 = log.clone();
        let fired_at = std::rc::Rc::new(std::cell::Cell::new(None));
        let f = fired_at.clone();
        evloop::call_at(when, move || {
            l.push("at");
            f.set(Some(evloop::time()));
        });
        let cancelled = evloop::call_later(Duration::from_secs(30), move || l2.push("cancelled"));
        assert_eq!(evloop::monitor::stats().timers_pending, 2);
        cancelled.cancel();
        assert_eq!(
            evloop::monitor::stats().timers_pending,
            1,
            "cancel removed the timer at once"
        );
        evloop::sleep(Duration::from_secs(120)).await;
        assert_eq!(log.take(), ["at"]);
        assert_eq!(fired_at.get(), Some(when));
    });
}

#[test]
fn a_panicking_callback_does_not_stop_the_loop() {
    evloop::run(async {
        let log = Log::new();
        let l = log.clone();
        evloop::call_soon(|| panic!("callback failure"));
        evloop::call_soon(move || l.push("next"));
        evloop::yield_now().await;
        assert_eq!(log.take(), ["next"]);
    });
}
