//! to_thread and the blocking pool.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evloop_test_support::{within, Log};

#[test]
fn runs_on_another_thread_and_returns_the_value() {
    evloop::run(async {
        let loop_thread = std::thread::current().id();
        let (v, t) = evloop::to_thread(|| (6 * 7, std::thread::current().id()))
            .await
            .unwrap();
        assert_eq!(v, 42);
        assert_ne!(t, loop_thread);
        assert_eq!(evloop::monitor::stats().blocking_threads, 1);
    });
}

#[test]
fn a_panic_becomes_a_task_error() {
    evloop::run(async {
        let err = evloop::to_thread(|| -> u32 { panic!("disk on fire") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("disk on fire"));
        // The pool survives a panicking job.
        assert_eq!(evloop::to_thread(|| 1).await.unwrap(), 1);
    });
}

#[test]
fn the_loop_stays_responsive_while_a_thread_blocks() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
            let log = Log::new();
            let blocked = evloop::to_thread(move || release_rx.recv().unwrap());
            // The loop keeps ticking: a task counts to 5, then lets the thread go.
            let l = log.clone();
            let ticker = evloop::spawn(async move {
                for i in 0..5 {
                    l.push(format!("tick {i}"));
                    evloop::sleep(Duration::from_millis(1)).await;
                }
                release_tx.send(()).unwrap();
            });
            blocked.await.unwrap();
            log.push("thread done");
            ticker.await.unwrap();
            assert_eq!(
                log.take(),
                ["tick 0", "tick 1", "tick 2", "tick 3", "tick 4", "thread done"]
            );
        });
    });
}

#[test]
fn threads_start_on_demand_up_to_the_limit() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::builder().max_blocking_threads(2).build().unwrap();
        lp.block_on(async {
            let running = Arc::new(AtomicUsize::new(0));
            let most = Arc::new(AtomicUsize::new(0));
            let jobs: Vec<_> = (0..6)
                .map(|i| {
                    let (running, most) = (running.clone(), most.clone());
                    evloop::to_thread(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                })
                .collect();
            assert!(evloop::monitor::stats().blocking_threads <= 2);
            let mut results = Vec::new();
            for j in jobs {
                results.push(j.await.unwrap());
            }
            assert_eq!(results, [0, 1, 2, 3, 4, 5], "every queued job ran");
            assert_eq!(most.load(Ordering::SeqCst), 2, "never more than the limit at once");
            assert_eq!(evloop::monitor::stats().blocking_threads, 2);
        });
    });
}

#[test]
fn idle_threads_exit_after_the_keep_alive() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::builder()
            .blocking_keep_alive(Duration::from_millis(20))
            .build()
            .unwrap();
        lp.block_on(async {
            evloop::to_thread(|| ()).await.unwrap();
            assert_eq!(evloop::monitor::stats().blocking_threads, 1);
            // Wait (bounded) for the idle worker to go.
            for _ in 0..500 {
                if evloop::monitor::stats().blocking_threads == 0 {
                    break;
                }
                evloop::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(evloop::monitor::stats().blocking_threads, 0);
            // And a new job starts a new one.
            assert_eq!(evloop::to_thread(|| 5).await.unwrap(), 5);
        });
    });
}

#[test]
fn a_queued_job_whose_caller_was_cancelled_is_skipped() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::builder().max_blocking_threads(1).build().unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        lp.block_on(async {
            let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
            let busy = evloop::to_thread(move || release_rx.recv().unwrap()); // occupies the only thread
            let r = ran.clone();
            let queued = evloop::spawn(evloop::to_thread(move || r.fetch_add(1, Ordering::SeqCst)));
            evloop::yield_now().await;
            queued.cancel();
            assert!(queued.await.unwrap_err().is_cancelled());
            release_tx.send(()).unwrap();
            busy.await.unwrap();
            assert_eq!(evloop::to_thread(|| 7).await.unwrap(), 7); // after the skipped one
        });
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the abandoned job ran anyway");
    });
}

#[test]
fn run_waits_for_running_jobs_and_refuses_new_ones_at_exit() {
    within(Duration::from_secs(20), || {
        let started = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(Mutex::new(None));
        let (s, f, r) = (started.clone(), finished.clone(), refused.clone());
        evloop::run(async move {
            // A job still running when the main future returns.
            drop(evloop::spawn(async move {
                evloop::to_thread(move || {
                    s.store(true, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    f.store(true, Ordering::SeqCst);
                })
                .await
                .ok();
            }));
            // A task whose cleanup, during exit, asks for another job.
            drop(evloop::spawn(evloop::on_cancel(
                std::future::pending::<()>(),
                move || {
                    drop(evloop::spawn(async move {
                        let err = evloop::to_thread(|| ()).await.unwrap_err();
                        *r.lock().unwrap() = Some((err.is_refused(), err.is_cancelled(), err.to_string()));
                    }));
                },
            )));
            while !started.load(Ordering::SeqCst) {
                evloop::sleep(Duration::from_millis(1)).await;
            }
        });
        assert!(
            finished.load(Ordering::SeqCst),
            "run returned before the running job finished"
        );
        let (is_refused, is_cancelled, msg) = refused.lock().unwrap().clone().expect("the cleanup task ran");
        assert!(is_refused && is_cancelled);
        assert!(msg.contains("closing"), "{msg}");
    });
}

#[test]
#[should_panic(expected = "max_blocking_threads must be at least 1")]
fn zero_blocking_threads_is_refused() {
    let _ = evloop::EventLoop::builder().max_blocking_threads(0);
}

#[test]
fn closing_does_not_deadlock_on_a_job_that_waits_for_the_loop() {
    within(Duration::from_secs(20), || {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        evloop::run(async move {
            let handle = evloop::handle();
            drop(evloop::spawn(evloop::to_thread(move || {
                started_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(20)); // the loop is closing meanwhile
                                                               // Ask the loop for something: after close this must resolve, not hang.
                futures_lite::future::block_on(handle.spawn(async { 1 })).is_err()
            })));
            let _ = started_rx.recv();
        });
    });
}

#[test]
fn the_paused_clock_waits_for_blocking_work_instead_of_jumping() {
    within(Duration::from_secs(20), || {
        let lp = evloop_test_support::paused();
        lp.block_on(async {
            let r = evloop::timeout(
                Duration::from_secs(5),
                evloop::to_thread(|| std::thread::sleep(Duration::from_millis(100))),
            )
            .await;
            assert!(r.is_ok(), "virtual time jumped past real work on the blocking pool");
        });
    });
}

#[test]
fn an_abandoned_result_whose_drop_panics_does_not_kill_the_worker() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("a result's destructor");
        }
    }
    within(Duration::from_secs(30), || {
        let lp = evloop::EventLoop::builder()
            .max_blocking_threads(1)
            .paused_clock(true)
            .build()
            .unwrap();
        lp.block_on(async {
            let started = Arc::new(AtomicBool::new(false));
            let s = started.clone();
            let abandoned = evloop::spawn(evloop::to_thread(move || {
                s.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                PanicsOnDrop
            }));
            while !started.load(Ordering::SeqCst) {
                evloop::yield_now().await;
            }
            abandoned.cancel(); // the result is dropped on the worker
                                // The one worker must still be there, and its counters right.
            assert_eq!(evloop::to_thread(|| 5).await.unwrap(), 5);
            // And the paused clock still advances (no job counted forever).
            evloop::sleep(Duration::from_secs(3600)).await;
        });
    });
}
