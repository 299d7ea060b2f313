//! sleep, sleep_until, interval, advance, and the paused clock.

use std::time::{Duration, Instant};

use evloop_test_support::{paused, Log};

#[test]
fn the_paused_clock_sleeps_an_hour_at_once_in_deadline_order() {
    let real_start = Instant::now();
    let lp = paused();
    lp.block_on(async {
        let start = evloop::time();
        assert!(start >= real_start, "the paused clock starts at the real now");
        let log = Log::new();
        let tasks: Vec<_> = [3600u64, 60, 1800, 1, 60]
            .into_iter()
            .enumerate()
            .map(|(i, secs)| {
                let log = log.clone();
                evloop::spawn(async move {
                    evloop::sleep(Duration::from_secs(secs)).await;
                    log.push(format!("{i}@{}", (evloop::time() - start).as_secs()));
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(log.take(), ["3@1", "1@60", "4@60", "2@1800", "0@3600"]);
        assert_eq!(evloop::time() - start, Duration::from_secs(3600));
    });
    assert!(
        real_start.elapsed() < Duration::from_secs(60),
        "an hour of virtual time took real time"
    );
}

#[test]
fn sleep_never_wakes_before_its_deadline_on_the_real_clock() {
    evloop::run(async {
        for micros in [1u64, 50, 250, 1000, 2500] {
            let d = Duration::from_micros(micros);
            let start = Instant::now();
            evloop::sleep(d).await;
            assert!(start.elapsed() >= d, "woke {:?} early", d - start.elapsed());
        }
        let deadline = evloop::time() + Duration::from_millis(3);
        evloop::sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn a_deadline_in_the_past_completes_at_once_without_a_timer() {
    evloop::run(async {
        let past = evloop::time() - Duration::from_millis(1);
        evloop::sleep_until(past).await;
        evloop::sleep(Duration::ZERO).await;
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
        assert_eq!(evloop::monitor::stats().timer_store_size, 0);
    });
}

#[test]
fn sleep_reset_moves_the_deadline() {
    paused().block_on(async {
        let start = evloop::time();
        let mut s = evloop::sleep(Duration::from_secs(10));
        assert!(!s.is_elapsed());
        s.reset(start + Duration::from_secs(2));
        (&mut s).await;
        assert_eq!(evloop::time() - start, Duration::from_secs(2));
        assert!(s.is_elapsed());
    });
}

#[test]
fn sleep_is_send_so_remote_futures_can_sleep() {
    fn assert_send<T: Send>(_: &T) {}
    evloop::run(async {
        let s = evloop::sleep(Duration::from_millis(1));
        assert_send(&s);
        s.await;
    });
}

#[test]
fn interval_ticks_at_once_then_every_period_and_skips_missed_ticks() {
    paused().block_on(async {
        let start = evloop::time();
        let mut every = evloop::interval(Duration::from_secs(1));
        let at = |t: Instant| (t - start).as_millis();
        assert_eq!(at(every.tick().await), 0, "the first tick is immediate");
        assert_eq!(at(evloop::time()), 0);
        assert_eq!(at(every.tick().await), 1000);
        // Fall 2.5 periods behind.
        evloop::sleep(Duration::from_millis(2500)).await;
        assert_eq!(at(every.tick().await), 2000, "the late tick fires at once");
        assert_eq!(at(evloop::time()), 3500);
        assert_eq!(at(every.tick().await), 4000, "missed ticks are skipped, not bunched");
        assert_eq!(at(evloop::time()), 4000);
        assert_eq!(at(every.tick().await), 5000);
    });
}

#[test]
#[should_panic(expected = "period must be greater than zero")]
fn a_zero_interval_is_refused() {
    evloop::run(async {
        let _ = evloop::interval(Duration::ZERO);
    });
}

#[test]
fn advance_fires_due_timers_in_deadline_order_and_moves_time_exactly() {
    paused().block_on(async {
        let start = evloop::time();
        let log = Log::new();
        for ms in [30u64, 10, 20, 40] {
            let log = log.clone();
            drop(evloop::spawn(async move {
                evloop::sleep(Duration::from_millis(ms)).await;
                log.push(ms.to_string());
            }));
        }
        evloop::yield_now().await; // let them arm their timers
        evloop::advance(Duration::from_millis(35)).await;
        evloop::yield_now().await;
        assert_eq!(log.take(), ["10", "20", "30"]);
        assert_eq!(evloop::time() - start, Duration::from_millis(35));
        evloop::advance(Duration::from_millis(5)).await;
        evloop::yield_now().await;
        assert_eq!(log.take(), ["40"]);
    });
}

#[test]
fn the_paused_clock_does_not_jump_while_tasks_are_ready() {
    paused().block_on(async {
        let start = evloop::time();
        let spinner = evloop::spawn(async {
            for _ in 0..1000 {
                evloop::yield_now().await;
            }
        });
        let sleeper = evloop::spawn(async move {
            evloop::sleep(Duration::from_secs(5)).await;
            evloop::time()
        });
        spinner.await.unwrap();
        assert_eq!(evloop::time(), start, "virtual time moved while work was ready");
        assert_eq!(sleeper.await.unwrap() - start, Duration::from_secs(5));
    });
}

#[test]
fn a_sleep_from_a_dropped_loop_cannot_touch_a_newer_loop_reusing_its_index() {
    let old = evloop::EventLoop::new().unwrap();
    // Arm a timer on the old loop and keep the Sleep after the loop is gone.
    #[allow(clippy::async_yields_async)] // the Sleep is returned on purpose, armed and unfinished
    let stale = old.block_on(async {
        let mut s = Box::pin(evloop::sleep(Duration::from_secs(3600)));
        let _ = futures_lite::future::poll_once(s.as_mut()).await;
        s
    });
    drop(old);
    let lp = evloop::EventLoop::new().unwrap();
    lp.block_on(async move {
        let mine = evloop::spawn(evloop::sleep(Duration::from_millis(10)));
        evloop::yield_now().await; // arms its timer (likely the same wheel slot index as the stale one)
        drop(stale); // must not disarm the new loop's timer
        assert!(
            evloop::timeout(Duration::from_millis(300), mine).await.is_ok(),
            "the new loop's timer was removed by a stale Sleep"
        );
    });
}

#[test]
fn interval_and_call_later_of_duration_max_mean_never_not_a_panic() {
    paused().block_on(async {
        let mut iv = evloop::interval(Duration::MAX);
        iv.tick().await; // the first tick is immediate
        assert!(evloop::timeout(Duration::from_secs(3600), iv.tick()).await.is_err());
        iv.reset();
        assert!(evloop::timeout(Duration::from_secs(3600), iv.tick()).await.is_err());
        let never = evloop::call_later(Duration::MAX, || unreachable!());
        evloop::sleep(Duration::from_secs(3600)).await;
        never.cancel();
    });
}

#[test]
fn a_sleep_polled_on_another_loop_names_the_problem() {
    let lp_a = paused();
    let sleep = lp_a
        .block_on(async { Some(evloop::sleep(Duration::from_secs(1))) })
        .unwrap();
    let lp_b = paused();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lp_b.block_on(sleep)));
    let message = evloop_test_support::panic_message(&*panicked.unwrap_err());
    assert!(message.contains("belongs to a different event loop"), "{message}");
    assert!(message.contains("Sleep"), "{message}");
}

/// With the real clock a `sleep(d)` is armed when called but its deadline
/// is fixed at the end of that run step, with one clock read for every
/// timer the step armed: never earlier than `d` after the call.
#[test]
fn a_sleep_armed_in_a_busy_run_step_counts_from_the_call_or_later() {
    evloop::run(async {
        let called = Instant::now();
        let sleep = evloop::sleep(Duration::from_millis(30));
        assert_eq!(sleep.deadline(), None, "fixed at the end of the run step");
        assert_eq!(evloop::monitor::stats().timers_pending, 1, "armed when called");
        // The rest of the run step takes a while: the deadline moves with it.
        std::thread::sleep(Duration::from_millis(10));
        let sleep = std::pin::pin!(sleep);
        let mut sleep = sleep;
        std::future::poll_fn(|cx| {
            let _ = std::future::Future::poll(sleep.as_mut(), cx);
            std::task::Poll::Ready(())
        })
        .await;
        evloop::yield_now().await; // the next tick: the deadline is known
        let deadline = sleep.deadline().expect("settled at the end of the step");
        assert!(
            deadline >= called + Duration::from_millis(40),
            "{:?}",
            deadline - called
        );
        sleep.as_mut().await;
        assert!(called.elapsed() >= Duration::from_millis(40));
        assert!(sleep.is_elapsed());
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
    });
}

/// A sleep dropped in the run step that armed it leaves nothing behind, and
/// one whose timer fired before it was ever polled completes at its first
/// poll.
#[test]
fn staged_sleeps_dropped_at_once_or_polled_late_behave() {
    evloop::run(async {
        for _ in 0..1000 {
            drop(evloop::sleep(Duration::from_secs(10)));
        }
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
        let early = evloop::sleep(Duration::from_millis(1));
        evloop::sleep(Duration::from_millis(20)).await;
        assert_eq!(evloop::monitor::stats().timers_pending, 0, "the unpolled sleep fired");
        let before = evloop::monitor::stats().ticks;
        early.await; // complete at once: no further tick
        assert_eq!(evloop::monitor::stats().ticks, before);
    });
}

/// On the paused clock nothing changes: the deadline is fixed when `sleep`
/// is called, to the virtual microsecond.
#[test]
fn on_the_paused_clock_the_deadline_is_fixed_at_the_call() {
    paused().block_on(async {
        let start = evloop::time();
        let sleep = evloop::sleep(Duration::from_secs(5));
        assert_eq!(sleep.deadline(), Some(start + Duration::from_secs(5)));
        evloop::advance(Duration::from_secs(2)).await;
        sleep.await;
        assert_eq!(evloop::time() - start, Duration::from_secs(5));
    });
}
