//! Closing a loop (`runtime/shutdown.rs`): the closing loop stays installed
//! while it drops what is left, so destructors that use the loop work on
//! it, spawning is refused cleanly, nothing lands on another loop, and the
//! blocking pool is waited for once.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use evloop_test_support::{panic_message, DropCounter};

/// Calls into the running loop when dropped, as cleanup code does: spawns a
/// task (which must be refused, not panic) and queues a callback.
struct UsesLoopOnDrop {
    dropped: Rc<Cell<usize>>,
    spawn_refused: Rc<Cell<usize>>,
}

impl UsesLoopOnDrop {
    fn new(dropped: &Rc<Cell<usize>>, spawn_refused: &Rc<Cell<usize>>) -> Self {
        UsesLoopOnDrop {
            dropped: dropped.clone(),
            spawn_refused: spawn_refused.clone(),
        }
    }
}

impl Drop for UsesLoopOnDrop {
    fn drop(&mut self) {
        assert!(evloop::try_handle().is_some(), "a loop is installed while it closes");
        let task = evloop::spawn(async {});
        // The handle is dropped here, unawaited; the refusal is seen by a
        // task that checks it (see the test below). Queueing a callback
        // must not panic either.
        drop(task);
        evloop::call_soon(|| ());
        evloop::call_later(Duration::from_secs(1), || ());
        self.spawn_refused.set(self.spawn_refused.get() + 1);
        self.dropped.set(self.dropped.get() + 1);
    }
}

#[test]
fn when_main_panics_destructors_that_spawn_see_the_closing_loop_and_the_panic_passes_on() {
    let dropped = Rc::new(Cell::new(0));
    let used = Rc::new(Cell::new(0));
    let (d, u) = (dropped.clone(), used.clone());
    let result = catch_unwind(AssertUnwindSafe(move || {
        evloop::run(async move {
            for _ in 0..2 {
                let guard = UsesLoopOnDrop::new(&d, &u);
                let hook_guard = UsesLoopOnDrop::new(&d, &u);
                drop(evloop::spawn(evloop::on_cancel(
                    async move {
                        let _guard = guard;
                        std::future::pending::<()>().await
                    },
                    move || drop(hook_guard),
                )));
            }
            evloop::yield_now().await;
            panic!("the main task failed");
        })
    }));
    let payload = result.expect_err("the main task's panic reaches the caller");
    assert_eq!(panic_message(&*payload), "the main task failed");
    assert_eq!(
        dropped.get(),
        4,
        "both tasks' futures and both hooks' guards were dropped"
    );
    assert_eq!(used.get(), 4);
}

#[test]
fn a_task_spawned_while_the_loop_closes_is_refused_with_a_clear_error() {
    type Kept = Rc<std::cell::RefCell<Option<evloop::Task<i32>>>>;
    struct SpawnOnDrop(Kept);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            *self.0.borrow_mut() = Some(evloop::spawn(async { 1 }));
        }
    }
    let kept: Kept = Rc::default();
    let guard = SpawnOnDrop(kept.clone());
    // The loop is dropped while the main task's panic unwinds: close then
    // skips the cancel-and-run phase, and the task's future is dropped in
    // the final phase, where spawning is refused.
    let panicked = catch_unwind(AssertUnwindSafe(move || {
        let lp = evloop::EventLoop::new().unwrap();
        drop(lp.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        }));
        lp.block_on(async { panic!("stop") })
    }));
    assert!(panicked.is_err());
    let mut task = kept.borrow_mut().take().expect("the destructor spawned");
    assert!(task.is_finished(), "the refused future was dropped by close");
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let std::task::Poll::Ready(Err(err)) = std::pin::Pin::new(&mut task).poll(&mut cx) else {
        panic!("a refused task ends with an error");
    };
    assert!(err.is_refused(), "{err}");
    assert!(err.to_string().contains("closing"), "{err}");
}

use std::future::Future;

#[test]
fn a_normal_close_drops_pending_timers_and_callbacks_with_the_loop_installed() {
    let dropped = Rc::new(Cell::new(0));
    let used = Rc::new(Cell::new(0));
    let (d, u) = (dropped.clone(), used.clone());
    evloop::run(async move {
        let late = UsesLoopOnDrop::new(&d, &u);
        evloop::call_later(Duration::from_secs(3600), move || drop(late));
        let at = UsesLoopOnDrop::new(&d, &u);
        evloop::call_at(evloop::time() + Duration::from_secs(7200), move || drop(at));
    });
    assert_eq!(dropped.get(), 2, "both closures were dropped, without running");
    assert_eq!(used.get(), 2);
}

#[test]
fn messages_queued_from_other_threads_are_dropped_on_the_loop_at_close() {
    struct Flag(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            // On the loop's thread, with the loop installed.
            assert!(evloop::try_handle().is_some());
            drop(evloop::spawn(async {}));
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let lp = evloop::EventLoop::new().unwrap();
    let handle = lp.handle();
    let flag = Flag(dropped.clone());
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        lp.block_on(async move {
            handle.call_soon_threadsafe(move || drop(flag)).unwrap();
            // The message is queued; the main task fails before the next
            // tick takes it, so close (which does not turn the loop after
            // a panic) drops it.
            panic!("before the message is taken");
        })
    }));
    assert!(panicked.is_err());
    lp.close();
    assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn after_close_the_handle_says_the_loop_is_closed() {
    let lp = evloop::EventLoop::new().unwrap();
    let handle = lp.handle();
    lp.close();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = ran.clone();
    let refused = handle.call_soon_threadsafe(move || r.store(true, std::sync::atomic::Ordering::SeqCst));
    assert_eq!(refused, Err(evloop::LoopClosed));
    assert_eq!(evloop::LoopClosed.to_string(), "event loop is closed");
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    // `wait` on the loop's own thread would deadlock (and panics): wait
    // from another thread.
    let err = std::thread::spawn(move || handle.spawn(async { 1 }).wait().unwrap_err())
        .join()
        .unwrap();
    assert!(err.is_refused(), "{err}");
    assert!(err.to_string().contains("event loop is closed"), "{err}");
}

#[test]
fn dropping_a_loop_inside_another_loops_task_runs_its_destructors_on_itself() {
    let lp_b = evloop::EventLoop::new().unwrap();
    let dropped_on = Rc::new(Cell::new(0usize));
    struct Witness(Rc<Cell<usize>>);
    impl Drop for Witness {
        fn drop(&mut self) {
            // Spawning here must reach loop B (refused: it is closing), not A.
            drop(evloop::spawn(async {}));
            evloop::call_soon(|| ());
            self.0.set(self.0.get() + 1);
        }
    }
    let witness = Witness(dropped_on.clone());
    drop(lp_b.spawn(async move {
        let _witness = witness;
        std::future::pending::<()>().await
    }));
    let lp_a = evloop::EventLoop::new().unwrap();
    let (tasks_after, queued_after) = lp_a.block_on(async move {
        let before = evloop::monitor::stats();
        drop(lp_b);
        let after = evloop::monitor::stats();
        (after.tasks_spawned - before.tasks_spawned, evloop::all_tasks().len())
    });
    assert_eq!(dropped_on.get(), 1);
    assert_eq!(tasks_after, 0, "nothing was spawned on loop A");
    assert_eq!(queued_after, 1, "loop A has only its main task");
    assert_eq!(lp_a.stats().callbacks_run, 0, "no callback landed on loop A");
}

#[test]
fn close_waits_for_the_blocking_pool_once() {
    const CHILD: &str = "EVLOOP_CLOSE_WAITS_ONCE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let lp = evloop::EventLoop::builder()
            .blocking_shutdown_timeout(Duration::from_millis(50))
            .build()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        lp.block_on(async move {
            drop(evloop::spawn(evloop::to_thread(move || {
                let _ = rx.recv_timeout(Duration::from_secs(5));
            })));
            evloop::sleep(Duration::from_millis(10)).await;
        });
        lp.close();
        drop(tx);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let child = std::process::Command::new(exe)
        .args(["--exact", "close_waits_for_the_blocking_pool_once", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("still running").count(),
        1,
        "one wait, one warning: {stderr}"
    );
}

#[test]
fn a_task_dropped_at_close_counts_its_drop_once() {
    let drops = DropCounter::new();
    let d = drops.clone();
    evloop::run(async move {
        drop(evloop::spawn(d.wrap(std::future::pending::<()>())));
        evloop::yield_now().await;
    });
    assert_eq!(drops.get(), 1);
}
