//! Running a loop: run(), block_on, run_forever, stop, exit cleanup, bad use.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop_test_support::{panic_message, paused, DropCounter, Log};

#[test]
fn run_cancels_every_task_left_and_waits_for_their_cleanup() {
    let drops = DropCounter::new();
    let hooks = Rc::new(Cell::new(0));
    let spawned_by_cleanup = Rc::new(Cell::new(false));
    {
        let (drops, hooks, spawned) = (drops.clone(), hooks.clone(), spawned_by_cleanup.clone());
        evloop::run(async move {
            for _ in 0..10 {
                let h = hooks.clone();
                let s = spawned.clone();
                drop(evloop::spawn(drops.wrap(evloop::on_cancel(
                    evloop::sleep(Duration::from_secs(3600)),
                    move || {
                        h.set(h.get() + 1);
                        // Cleanup may spawn; that task runs (or is cancelled) before run returns.
                        let s = s.clone();
                        drop(evloop::spawn(async move { s.set(true) }));
                    },
                ))));
            }
            // A task that never yields to cancellation politely: loops forever.
            drop(evloop::spawn(drops.wrap(async {
                loop {
                    evloop::yield_now().await;
                }
            })));
            evloop::yield_now().await;
        });
    }
    assert_eq!(drops.get(), 11, "every task's future was dropped before run returned");
    assert_eq!(hooks.get(), 10, "every on_cancel hook ran");
    assert!(
        spawned_by_cleanup.get(),
        "a task spawned by cleanup ran before run returned"
    );
}

#[test]
fn block_on_keeps_tasks_between_calls_and_close_cleans_up() {
    let lp = paused();
    let drops = DropCounter::new();
    let d = drops.clone();
    let (task, sleeper) = lp.block_on(async move {
        let task = evloop::spawn(async {
            evloop::sleep(Duration::from_secs(5)).await;
            "later"
        });
        let sleeper = evloop::spawn(d.wrap(evloop::sleep(Duration::from_secs(3600))));
        (task, sleeper)
    });
    assert!(!task.is_finished());
    assert_eq!(lp.block_on(task).unwrap(), "later");
    assert!(!sleeper.is_finished());
    assert_eq!(lp.stats().tasks_alive, 1);
    lp.close();
    assert_eq!(drops.get(), 1);
    assert!(sleeper.is_finished());
}

#[test]
fn dropping_a_loop_drops_its_tasks() {
    let drops = DropCounter::new();
    {
        let lp = evloop::EventLoop::new().unwrap();
        let d = drops.clone();
        lp.block_on(async move {
            drop(evloop::spawn(d.wrap(std::future::pending::<()>())));
            evloop::yield_now().await;
        });
        assert_eq!(drops.get(), 0);
    }
    assert_eq!(drops.get(), 1);
}

#[test]
fn run_forever_until_stop_from_a_callback() {
    let lp = paused();
    let log = Log::new();
    let l = log.clone();
    let stop_handle = lp.handle();
    lp.block_on(async move {
        evloop::call_later(Duration::from_secs(10), move || {
            l.push("stopping");
            stop_handle.stop();
        });
    });
    lp.run_forever();
    assert_eq!(log.take(), ["stopping"]);
}

#[test]
fn stop_from_a_task_lets_the_current_tick_finish() {
    let lp = evloop::EventLoop::new().unwrap();
    let log = Log::new();
    let (l1, l2) = (log.clone(), log.clone());
    let h = lp.handle();
    lp.block_on(async move {
        drop(evloop::spawn(async move {
            l1.push("a");
            h.stop();
        }));
        drop(evloop::spawn(async move { l2.push("b") }));
    });
    lp.run_forever();
    assert_eq!(log.take(), ["a", "b"]);
}

#[test]
fn spawn_outside_a_loop_panics_clearly() {
    let p = std::panic::catch_unwind(|| drop(evloop::spawn(async {}))).unwrap_err();
    let msg = panic_message(&*p);
    assert!(msg.contains("no running event loop"), "{msg}");
    assert!(msg.contains("evloop::spawn"), "{msg}");
    // A sleep is only a value until polled; awaiting it elsewhere panics.
    let p =
        std::panic::catch_unwind(|| futures_lite::future::block_on(evloop::sleep(Duration::from_secs(1)))).unwrap_err();
    assert!(panic_message(&*p).contains("no running event loop"));
    let p = std::panic::catch_unwind(|| drop(evloop::call_soon(|| ()))).unwrap_err();
    assert!(panic_message(&*p).contains("no running event loop"));
}

#[test]
fn time_futures_built_outside_a_loop_run_on_it() {
    evloop::run(evloop::sleep(Duration::from_millis(1)));
    let lp = paused();
    let start = std::time::Instant::now();
    let r = lp.block_on(evloop::timeout(Duration::from_secs(5), std::future::pending::<()>()));
    assert!(r.is_err());
    assert!(start.elapsed() < Duration::from_secs(5), "the paused clock jumped");
    let mut every = evloop::interval(Duration::from_secs(1));
    let first = lp.block_on(every.tick());
    let second = lp.block_on(every.tick());
    assert_eq!(second - first, Duration::from_secs(1));
}

#[test]
fn nested_run_panics_naming_the_call() {
    evloop::run(async {
        let p = std::panic::catch_unwind(|| evloop::run(async {})).unwrap_err();
        let msg = panic_message(&*p);
        assert!(msg.contains("evloop::run"), "{msg}");
        assert!(msg.contains("already running"), "{msg}");
    });
}

#[test]
fn nested_block_on_panics_naming_the_call() {
    let lp = evloop::EventLoop::new().unwrap();
    let other = evloop::EventLoop::new().unwrap();
    lp.block_on(async {
        let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| other.block_on(async {}))).unwrap_err();
        let msg = panic_message(&*p);
        assert!(msg.contains("EventLoop::block_on"), "{msg}");
    });
    // The loop is still usable afterwards.
    assert_eq!(lp.block_on(async { 1 }), 1);
}

#[test]
fn advance_on_a_real_clock_panics_saying_the_clock_is_not_paused() {
    evloop::run(async {
        let t = evloop::spawn(evloop::advance(Duration::from_secs(1)));
        let err = t.await.unwrap_err();
        assert!(err.is_panic());
        let msg = err.to_string();
        assert!(msg.contains("not paused"), "{msg}");
    });
}

#[test]
fn a_panicking_main_future_propagates_and_the_loop_survives() {
    let lp = evloop::EventLoop::new().unwrap();
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lp.block_on(async { panic!("main failed") })
    }))
    .unwrap_err();
    assert_eq!(panic_message(&*p), "main failed");
    assert_eq!(lp.block_on(async { 2 }), 2);
}

#[test]
fn a_loop_can_be_run_again_on_the_same_thread_after_another() {
    for i in 0..3 {
        assert_eq!(
            evloop::run(async move { evloop::spawn(async move { i }).await.unwrap() }),
            i
        );
    }
}

#[test]
fn stop_during_block_on_neither_spins_nor_hangs_and_waits_for_run_forever() {
    evloop_test_support::within(Duration::from_secs(20), || {
        let lp = paused();
        let h = lp.handle();
        let ticks = lp.block_on(async move {
            h.stop();
            let before = evloop::monitor::stats().ticks;
            evloop::sleep(Duration::from_secs(60)).await; // paused: would hang if stop made every tick busy
            evloop::monitor::stats().ticks - before
        });
        assert!(ticks < 10, "block_on spun for {ticks} ticks after stop()");
        // The stop request is kept for run_forever, which returns after one tick.
        lp.run_forever();
    });
}

#[test]
fn a_destructor_that_respawns_forever_cannot_hold_run_open() {
    fn respawn(count: Rc<Cell<usize>>) -> impl std::future::Future<Output = ()> {
        let c = count.clone();
        evloop::on_cancel(std::future::pending::<()>(), move || {
            c.set(c.get() + 1);
            drop(evloop::spawn(respawn(c.clone())));
        })
    }
    let respawned = evloop_test_support::within(Duration::from_secs(20), || {
        let count = Rc::new(Cell::new(0));
        let c = count.clone();
        evloop::run(async move {
            drop(evloop::spawn(respawn(c)));
            evloop::yield_now().await;
        });
        count.get()
    });
    assert!(respawned >= 1, "the cleanup ran");
}

#[test]
fn cleanup_spawned_at_exit_may_still_wait_on_a_timer() {
    let flushed = Rc::new(Cell::new(false));
    let f = flushed.clone();
    evloop::run(async move {
        drop(evloop::spawn(evloop::on_cancel(
            std::future::pending::<()>(),
            move || {
                let f = f.clone();
                // Asynchronous cleanup: say goodbye after a short wait.
                drop(evloop::spawn(async move {
                    evloop::sleep(Duration::from_millis(5)).await;
                    f.set(true);
                }));
            },
        )));
        evloop::yield_now().await;
    });
    assert!(flushed.get(), "the cleanup task was cancelled at its first await");
}
