//! Memory after a burst: a live loop gives back what a burst of tasks,
//! timers or wakes took, once the burst is over (the loop looks every 4096
//! ticks; a loop that stays busy keeps its capacity). Measured through the
//! footprints `stats()` reports.

use std::time::Duration;

use evloop_test_support::paused;

const BURST: usize = 200_000;

#[test]
fn the_task_slab_and_run_queue_shrink_after_a_burst_of_tasks() {
    paused().block_on(async {
        let tasks: Vec<_> = (0..BURST)
            .map(|i| {
                evloop::spawn(async move {
                    evloop::yield_now().await;
                    i
                })
            })
            .collect();
        let peak = evloop::monitor::stats();
        assert!(peak.task_store_size as usize > BURST);
        assert!(peak.run_queue_size as usize >= BURST);
        for t in tasks {
            t.await.unwrap();
        }
        // The loop goes on with a little work, for a few windows of ticks.
        for _ in 0..3 * 4096 {
            evloop::yield_now().await;
        }
        let after = evloop::monitor::stats();
        assert!(
            after.task_store_size < 4096,
            "{} task slots kept",
            after.task_store_size
        );
        assert!(
            after.run_queue_size <= 1024,
            "{} run-queue slots kept",
            after.run_queue_size
        );
    });
}

#[test]
fn the_timer_store_shrinks_after_a_burst_of_cancelled_timers() {
    paused().block_on(async {
        let handles: Vec<_> = (0..BURST)
            .map(|i| evloop::call_later(Duration::from_secs(60 + i as u64), || ()))
            .collect();
        assert!(evloop::monitor::stats().timer_store_size as usize >= BURST);
        for h in handles {
            h.cancel();
        }
        for _ in 0..3 * 4096 {
            evloop::yield_now().await;
        }
        let after = evloop::monitor::stats();
        assert_eq!(after.timers_pending, 0);
        assert!(
            after.timer_store_size < 4096,
            "{} timer nodes kept",
            after.timer_store_size
        );
    });
}

#[test]
fn a_steady_state_keeps_its_small_footprint() {
    paused().block_on(async {
        for _ in 0..10_000 {
            let t = evloop::spawn(evloop::sleep(Duration::from_millis(1)));
            evloop::call_soon(|| ());
            t.await.unwrap();
        }
        let s = evloop::monitor::stats();
        assert!(s.task_store_size <= 4, "{}", s.task_store_size);
        assert!(s.timer_store_size <= 4, "{}", s.timer_store_size);
        assert!(s.run_queue_size <= 64, "{}", s.run_queue_size);
    });
}
