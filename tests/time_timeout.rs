//! timeout, timeout_at and timeout_scope.

use std::time::Duration;

use evloop_test_support::{paused, DropCounter};

#[test]
fn timeout_expires_and_drops_the_inner_future() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let start = evloop::time();
        let r = evloop::timeout(
            Duration::from_secs(5),
            drops.wrap(evloop::sleep(Duration::from_secs(3600))),
        )
        .await;
        assert_eq!(r, Err(evloop::Elapsed::clone(&r.unwrap_err())));
        assert_eq!(
            drops.get(),
            1,
            "the inner future was dropped by the time timeout returned"
        );
        assert_eq!(evloop::time() - start, Duration::from_secs(5));
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
    });
}

#[test]
fn timeout_returns_the_value_when_the_future_is_quick() {
    paused().block_on(async {
        let r = evloop::timeout(Duration::from_secs(5), async {
            evloop::sleep(Duration::from_secs(1)).await;
            "quick"
        })
        .await;
        assert_eq!(r, Ok("quick"));
        assert_eq!(
            evloop::monitor::stats().timers_pending,
            0,
            "the timeout's timer went with it"
        );
        let at = evloop::time() + Duration::from_secs(1);
        assert!(evloop::timeout_at(at, std::future::pending::<()>()).await.is_err());
        assert_eq!(evloop::time(), at);
    });
}

#[test]
fn elapsed_is_a_plain_error() {
    fn assert_traits<T: std::error::Error + Copy + Eq + Send + Sync + 'static>() {}
    assert_traits::<evloop::Elapsed>();
    paused().block_on(async {
        let e = evloop::timeout(Duration::from_millis(1), std::future::pending::<()>())
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "deadline has elapsed");
        let boxed: evloop::BoxError = e.into();
        assert!(boxed.is::<evloop::Elapsed>());
    });
}

#[test]
fn timeout_scope_reschedule_extends_and_shortens() {
    paused().block_on(async {
        let start = evloop::time();
        // Extended: finishes.
        let r = evloop::timeout_scope(Some(start + Duration::from_secs(1)), |scope| async move {
            assert_eq!(scope.when(), Some(start + Duration::from_secs(1)));
            scope.reschedule(Some(start + Duration::from_secs(10)));
            evloop::sleep(Duration::from_secs(5)).await;
            assert!(!scope.expired());
            "done"
        })
        .await;
        assert_eq!(r, Ok("done"));

        // Shortened from outside while the body waits: expires at the new deadline.
        let base = evloop::time();
        let drops = DropCounter::new();
        let d = drops.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let body = evloop::timeout_scope(None, move |scope| {
            tx.send(scope.clone()).unwrap();
            d.wrap(std::future::pending::<()>())
        });
        let runner = evloop::spawn(body);
        evloop::yield_now().await;
        let scope = rx.recv().unwrap();
        assert_eq!(scope.when(), None);
        evloop::sleep(Duration::from_secs(100)).await;
        assert!(!runner.is_finished(), "None means never");
        scope.reschedule(Some(evloop::time() + Duration::from_secs(2)));
        assert!(runner.await.unwrap().is_err());
        assert!(scope.expired());
        assert_eq!(drops.get(), 1);
        assert_eq!(evloop::time() - base, Duration::from_secs(102));
    });
}

#[test]
fn nested_scopes_report_only_the_one_that_expired() {
    paused().block_on(async {
        let start = evloop::time();
        // Inner expires first: the outer body sees the inner Elapsed and goes on.
        let outer = evloop::timeout_scope(Some(start + Duration::from_secs(10)), |outer| async move {
            let inner = evloop::timeout_scope(Some(start + Duration::from_secs(1)), |_| async {
                evloop::sleep(Duration::from_secs(5)).await;
            })
            .await;
            assert!(inner.is_err());
            assert!(!outer.expired());
            "outer finished"
        })
        .await;
        assert_eq!(outer, Ok("outer finished"));

        // Outer expires first: the inner scope is dropped without reporting.
        let base = evloop::time();
        let (tx, rx) = std::sync::mpsc::channel();
        let outer = evloop::timeout_scope(Some(base + Duration::from_secs(1)), |_| async move {
            let inner = evloop::timeout_scope(Some(base + Duration::from_secs(10)), |scope| {
                tx.send(scope.clone()).unwrap();
                evloop::sleep(Duration::from_secs(5))
            })
            .await;
            unreachable!("the outer scope cancels this body first: {inner:?}");
        })
        .await;
        assert!(outer.is_err());
        let inner_scope = rx.recv().unwrap();
        assert!(
            !inner_scope.expired(),
            "the inner scope did not expire; it was cancelled"
        );
        assert_eq!(evloop::time() - base, Duration::from_secs(1));
    });
}

#[test]
fn a_million_timeouts_that_never_fire_leave_the_timer_store_tiny() {
    evloop::run(async {
        // 1,000 tasks × 1,000 timeouts, each armed (the inner future is
        // pending once) and then cancelled when the inner future completes.
        let workers: Vec<_> = (0..1000)
            .map(|_| {
                evloop::spawn(async {
                    for _ in 0..1000 {
                        let r = evloop::timeout(Duration::from_secs(10), evloop::yield_now()).await;
                        assert!(r.is_ok());
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        let stats = evloop::monitor::stats();
        assert_eq!(stats.timers_pending, 0);
        assert_eq!(stats.timers_fired, 0);
        assert!(
            stats.timer_store_size <= 1000,
            "the store grew to {} entries for at most 1000 timers armed at once",
            stats.timer_store_size
        );
    });
}
