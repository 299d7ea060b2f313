//! Tasks: spawn, cancel, detach, names, panics, yield_now, on_cancel.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop_test_support::{paused, DropCounter, Log};

#[test]
fn the_body_runs_after_spawn_returns() {
    evloop::run(async {
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let task = evloop::spawn(async move { r.set(true) });
        assert!(!ran.get(), "spawn must not run the body");
        assert!(!task.is_finished());
        task.await.unwrap();
        assert!(ran.get());
    });
}

#[test]
fn a_task_cancelled_before_its_first_poll_never_runs() {
    evloop::run(async {
        let ran = Rc::new(Cell::new(false));
        let drops = DropCounter::new();
        let r = ran.clone();
        let task = evloop::spawn(drops.wrap(async move { r.set(true) }));
        assert!(task.cancel());
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!ran.get(), "a task cancelled before its first poll ran");
        assert_eq!(drops.get(), 1, "its future was dropped exactly once");
    });
}

#[test]
fn cancelling_a_sleeping_task_drops_its_future_and_runs_on_cancel() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let hook = Rc::new(Cell::new(0));
        let h = hook.clone();
        let task = evloop::spawn(
            drops.wrap(evloop::on_cancel(evloop::sleep(Duration::from_secs(3600)), move || {
                h.set(h.get() + 1)
            })),
        );
        evloop::sleep(Duration::from_millis(1)).await; // it is now asleep
        assert_eq!(drops.get(), 0);
        assert!(task.cancel());
        // The drop happens on the loop's next opportunity, not inside cancel.
        assert_eq!(drops.get(), 0);
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(drops.get(), 1, "the future was dropped before the handle reported it");
        assert_eq!(hook.get(), 1, "on_cancel ran once");
        assert_eq!(evloop::monitor::stats().timers_pending, 0, "its timer went with it");
    });
}

#[test]
fn on_cancel_does_not_run_when_the_future_completes() {
    evloop::run(async {
        let hook = Rc::new(Cell::new(false));
        let h = hook.clone();
        let v = evloop::on_cancel(async { 5 }, move || h.set(true)).await;
        assert_eq!(v, 5);
        assert!(!hook.get());
        // Dropped before ever being polled still counts as cancelled.
        let h = hook.clone();
        drop(evloop::on_cancel(async { 5 }, move || h.set(true)));
        assert!(hook.get());
    });
}

#[test]
fn cancel_after_finish_returns_false_and_keeps_the_result() {
    evloop::run(async {
        let task = evloop::spawn(async { 9 });
        evloop::yield_now().await;
        assert!(task.is_finished());
        assert!(!task.cancel());
        assert_eq!(task.await.unwrap(), 9);
    });
}

#[test]
fn a_task_can_cancel_itself_and_finishes_its_current_poll() {
    evloop::run(async {
        let slot: Rc<Cell<Option<evloop::Task<()>>>> = Rc::new(Cell::new(None));
        let s = slot.clone();
        let log = Log::new();
        let l = log.clone();
        let task = evloop::spawn(async move {
            let me = s.take().expect("handle stored before the first poll");
            l.push("before");
            assert!(me.cancel());
            l.push("after cancel, same poll");
            evloop::yield_now().await;
            l.push("never");
        });
        // The handle is only needed by the task itself.
        let observer = evloop::spawn(async {});
        slot.set(Some(task));
        observer.await.unwrap();
        evloop::yield_now().await;
        evloop::yield_now().await;
        assert_eq!(log.snapshot(), ["before", "after cancel, same poll"]);
    });
}

#[test]
fn a_dropped_handle_detaches_the_task() {
    paused().block_on(async {
        let done = Rc::new(Cell::new(false));
        let d = done.clone();
        drop(evloop::spawn(async move {
            evloop::sleep(Duration::from_secs(1)).await;
            d.set(true);
        }));
        evloop::sleep(Duration::from_secs(2)).await;
        assert!(done.get(), "a detached task keeps running");
    });
}

#[test]
fn yield_now_interleaves_tasks_in_fifo_order() {
    evloop::run(async {
        let log = Log::new();
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let log = log.clone();
                evloop::spawn(async move {
                    for i in 0..3 {
                        log.push(format!("{name}{i}"));
                        evloop::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(log.take(), ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]);
    });
}

#[test]
fn a_panic_is_stored_in_the_task_error_and_the_loop_goes_on() {
    evloop::run(async {
        let bad = evloop::spawn_named("bad", async { panic!("kaboom {}", 7) });
        let good = evloop::spawn(async {
            evloop::yield_now().await;
            "fine"
        });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert!(err.to_string().contains("kaboom 7"), "{err}");
        assert_eq!(good.await.unwrap(), "fine");
        let payload = evloop::spawn(async { std::panic::panic_any(42u32) })
            .await
            .unwrap_err()
            .into_panic();
        assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
    });
}

#[test]
fn names_ids_current_task_and_all_tasks() {
    evloop::run(async {
        let named = evloop::spawn_named("worker", async {
            let me = evloop::current_task().expect("inside a task");
            evloop::sleep(Duration::from_millis(5)).await;
            me
        });
        let unnamed = evloop::spawn(async { evloop::current_task().unwrap().id() });
        assert_eq!(unnamed.name(), format!("Task-{}", unnamed.id()));
        assert_ne!(named.id(), unnamed.id());
        evloop::yield_now().await;
        let all = evloop::all_tasks();
        assert!(all.iter().any(|t| t.name() == "worker"), "{all:?}");
        assert!(
            !all.iter().any(|t| t.id() == unnamed.id()),
            "finished tasks are not listed"
        );
        let info = named.await.unwrap();
        assert_eq!(info.name(), "worker");
        assert!(info.spawned_at().file().ends_with("rt_tasks.rs"));
        assert_eq!(
            evloop::current_task().unwrap().name(),
            "main",
            "the main future is a task"
        );
        let id = unnamed.await.unwrap();
        assert!(id.as_u64() > 0);
        let names: Vec<String> = evloop::all_tasks().iter().map(|t| t.name()).collect();
        assert_eq!(names, ["main"], "only the main task is left");
    });
}

#[test]
fn all_tasks_includes_the_current_one() {
    evloop::run(async {
        let t = evloop::spawn_named("self", async {
            let all = evloop::all_tasks();
            all.iter().any(|t| t.name() == "self")
        });
        assert!(t.await.unwrap());
    });
}

#[test]
fn a_hundred_thousand_tasks() {
    let sum = evloop::run(async {
        let tasks: Vec<_> = (0..100_000u64)
            .map(|i| {
                evloop::spawn(async move {
                    if i % 2 == 0 {
                        evloop::yield_now().await;
                    }
                    i
                })
            })
            .collect();
        assert_eq!(evloop::monitor::stats().tasks_alive, 100_000 + 1, "and the main task");
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        assert_eq!(evloop::monitor::stats().tasks_alive, 1, "the main task");
        sum
    });
    assert_eq!(sum, (0..100_000u64).sum::<u64>());
}

#[test]
fn joining_a_task_from_another_task() {
    evloop::run(async {
        let inner = evloop::spawn(async {
            evloop::sleep(Duration::from_millis(2)).await;
            3
        });
        let outer = evloop::spawn(async move { inner.await.unwrap() * 2 });
        assert_eq!(outer.await.unwrap(), 6);
    });
}

#[test]
fn a_future_and_output_that_both_panic_on_drop_are_dropped_once() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    struct LoudOutput(Rc<Cell<usize>>);
    impl Drop for LoudOutput {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
            panic!("output destructor");
        }
    }
    struct LoudFuture(Rc<Cell<usize>>, Rc<Cell<usize>>);
    impl Future for LoudFuture {
        type Output = LoudOutput;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<LoudOutput> {
            Poll::Ready(LoudOutput(self.1.clone()))
        }
    }
    impl Drop for LoudFuture {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
            panic!("future destructor");
        }
    }
    let (future_drops, output_drops) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let (f, o) = (future_drops.clone(), output_drops.clone());
    evloop::run(async move {
        let Err(err) = evloop::spawn(LoudFuture(f, o)).await else {
            panic!("the panicking destructor must be the task's error");
        };
        assert!(err.is_panic());
    });
    assert_eq!(future_drops.get(), 1, "the future was dropped exactly once");
    assert_eq!(output_drops.get(), 1, "the output was dropped exactly once");
}

#[test]
fn a_task_that_cancels_itself_and_returns_ends_cancelled() {
    let drops = DropCounter::new();
    let d = drops.clone();
    evloop::run(async move {
        let me: Rc<std::cell::RefCell<Option<evloop::CancelHandle>>> = Rc::default();
        let m = me.clone();
        let task = evloop::spawn(async move {
            let cancelled = m.borrow().as_ref().expect("handed in before the first poll").cancel();
            assert!(cancelled, "not finished yet, so cancel() says true");
            d.probe() // the output: dropped, never delivered
        });
        *me.borrow_mut() = Some(task.cancel_handle());
        match task.await {
            Err(err) => assert!(err.is_cancelled()),
            Ok(_) => panic!("cancel() returned true: the task must end cancelled"),
        }
    });
    assert_eq!(drops.get(), 1, "the output was dropped");
}

#[test]
fn current_task_is_constant_time() {
    // O(N) lookups would make this 10^10 steps; it must take a moment.
    evloop_test_support::within(Duration::from_secs(60), || {
        evloop::run(async {
            let tasks: Vec<_> = (0..100_000)
                .map(|_| evloop::spawn(async { evloop::current_task().unwrap().id() }))
                .collect();
            for t in tasks {
                let id = t.id();
                assert_eq!(t.await.unwrap(), id);
            }
        })
    });
}

#[test]
fn awaiting_a_task_of_another_loop_panics_instead_of_hanging() {
    let lp_a = evloop::EventLoop::new().unwrap();
    let task = lp_a.spawn_named("from-a", std::future::pending::<()>());
    let lp_b = evloop::EventLoop::new().unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lp_b.block_on(task)));
    let message = evloop_test_support::panic_message(&*panicked.expect_err("must not hang"));
    assert!(message.contains("belongs to a different event loop"), "{message}");
    assert!(message.contains("Task") && message.contains("from-a"), "{message}");
}

#[test]
fn the_main_task_is_a_task_named_main() {
    let lp = paused();
    let (info, listed, dump) = lp.block_on(async {
        let info = evloop::current_task().expect("the main future runs as a task");
        let listed: Vec<String> = evloop::all_tasks().iter().map(|t| t.name()).collect();
        (info, listed, evloop::monitor::dump_tasks())
    });
    assert_eq!(info.name(), "main");
    assert!(
        info.spawned_at().file().ends_with("rt_tasks.rs"),
        "{}",
        info.spawned_at()
    );
    assert_eq!(listed, ["main"]);
    let line = dump.lines().find(|l| l.contains("main")).expect("the dump lists it");
    assert!(line.contains("running"), "{dump}");
    // Each block_on is a new main task; the earlier one is gone.
    let again = lp.block_on(async { evloop::current_task().unwrap().id() });
    assert_ne!(again, info.id());
    assert_eq!(lp.stats().tasks_alive, 0);
}

#[test]
fn a_slow_main_task_is_reported_by_name() {
    let reports: Rc<std::cell::RefCell<Vec<String>>> = Rc::default();
    let r = reports.clone();
    // Precise timing (`measure`): the millisecond clock of a threshold alone
    // can lag on a loaded machine.
    let lp = evloop::EventLoop::builder()
        .measure(true)
        .slow_poll_threshold(Duration::from_millis(20))
        .on_slow_poll(move |slow| r.borrow_mut().push(slow.task_name().to_string()))
        .build()
        .unwrap();
    lp.block_on(async {
        std::thread::sleep(Duration::from_millis(40)); // blocks the loop
        evloop::yield_now().await;
    });
    assert_eq!(*reports.borrow(), ["main"]);
}

// Contract, second round: the future given to `run` / `block_on` runs as the
// loop's main task, named "main", as in `asyncio.run`.
#[test]
fn current_task_inside_the_main_future_is_named_main() {
    evloop::run(async {
        let me = evloop::current_task().expect("the main future runs as a task");
        assert_eq!(me.name(), "main");
    });
}

/// `yield_now` has a fast path for the task being polled with its own
/// waker; polled with any other waker it must wake that waker instead, and
/// a task that yields and is woken in the same poll runs once more, not
/// twice.
#[test]
fn yield_now_wakes_a_foreign_waker_and_never_queues_a_task_twice() {
    use std::future::Future;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    struct Counting(AtomicU32);
    impl Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    evloop::run(async {
        // A foreign waker, inside a task: the fast path must not take it.
        let counting = Arc::new(Counting(AtomicU32::new(0)));
        let waker = Waker::from(counting.clone());
        let mut yielding = std::pin::pin!(evloop::yield_now());
        assert!(yielding.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        assert_eq!(counting.0.load(Ordering::Relaxed), 1, "the foreign waker was woken");

        // Yield and wake yourself in the same poll: queued once, so polled
        // once more — not twice — before anyone wakes it again.
        let polls = std::rc::Rc::new(std::cell::Cell::new(0));
        let parked = std::rc::Rc::new(std::cell::RefCell::new(None::<Waker>));
        let (p, w) = (polls.clone(), parked.clone());
        let task = evloop::spawn(std::future::poll_fn(move |cx| {
            p.set(p.get() + 1);
            match p.get() {
                1 => {
                    let mut y = std::pin::pin!(evloop::yield_now());
                    let _ = y.as_mut().poll(cx);
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
                2 => {
                    *w.borrow_mut() = Some(cx.waker().clone());
                    std::task::Poll::Pending
                }
                _ => std::task::Poll::Ready(()),
            }
        }));
        for _ in 0..4 {
            evloop::yield_now().await;
        }
        assert_eq!(polls.get(), 2, "queued twice by one poll");
        parked.borrow_mut().take().expect("parked").wake();
        task.await.unwrap();
        assert_eq!(polls.get(), 3);
    });
}
