//! Other threads: LoopHandle::{stop, call_soon_threadsafe, spawn}, remote wakes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;

use evloop_test_support::within;

#[test]
fn stop_from_another_thread_ends_run_forever() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let handle = lp.handle();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            handle.stop();
        });
        lp.run_forever(); // idle: nothing but the stop can end it
        t.join().unwrap();
    });
}

#[test]
fn call_soon_threadsafe_wakes_an_idle_loop() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let handle = lp.handle();
        let ran_on = Arc::new(Mutex::new(None));
        let r = ran_on.clone();
        let h2 = handle.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            handle
                .call_soon_threadsafe(move || {
                    *r.lock().unwrap() = Some(std::thread::current().id());
                    h2.stop();
                })
                .unwrap();
        });
        lp.run_forever();
        t.join().unwrap();
        assert_eq!(
            *ran_on.lock().unwrap(),
            Some(std::thread::current().id()),
            "ran on the loop thread"
        );
        assert!(lp.stats().wakes_remote == 0 && lp.stats().callbacks_run == 1);
    });
}

#[test]
fn loop_handle_spawn_from_another_thread() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let handle = lp.handle();
        let t = std::thread::spawn(move || {
            let tasks: Vec<_> = (0..100u64)
                .map(|i| {
                    handle.spawn(async move {
                        evloop::sleep(Duration::from_micros(10 * i)).await;
                        (i, std::thread::current().id())
                    })
                })
                .collect();
            let results: Vec<_> = tasks
                .into_iter()
                .map(|t| futures_lite::future::block_on(t).unwrap())
                .collect();
            let panicked = futures_lite::future::block_on(handle.spawn(async { panic!("remote boom") }));
            handle.stop();
            (results, panicked.unwrap_err().to_string())
        });
        lp.run_forever();
        let (results, panic_msg) = t.join().unwrap();
        let loop_thread = std::thread::current().id();
        assert_eq!(results.len(), 100);
        for (i, (v, thread)) in results.into_iter().enumerate() {
            assert_eq!(v, i as u64);
            assert_eq!(thread, loop_thread);
        }
        assert!(panic_msg.contains("remote boom"), "{panic_msg}");
    });
}

#[test]
fn a_remote_task_on_a_closed_loop_resolves_as_cancelled() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let handle = lp.handle();
        let pending = handle.spawn(std::future::pending::<()>());
        lp.block_on(async { evloop::yield_now().await }); // the task starts and waits forever
        lp.close();
        let err = futures_lite::future::block_on(pending).unwrap_err();
        assert!(err.is_cancelled());
        // After close, new remote work is refused, not lost in a queue.
        let late = handle.spawn(async { 1 });
        assert!(futures_lite::future::block_on(late).unwrap_err().is_cancelled());
    });
}

/// Waits until another thread, given this task's waker, wakes it.
async fn woken_from_another_thread() {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let flag = Arc::new(AtomicBool::new(false));
    let (s, f) = (slot.clone(), flag.clone());
    let t = std::thread::spawn(move || loop {
        if let Some(w) = s.lock().unwrap().take() {
            f.store(true, Ordering::SeqCst);
            w.wake();
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    });
    std::future::poll_fn(|cx| {
        if flag.load(Ordering::SeqCst) {
            return std::task::Poll::Ready(());
        }
        *slot.lock().unwrap() = Some(cx.waker().clone());
        std::task::Poll::Pending
    })
    .await;
    t.join().unwrap();
}

#[test]
fn a_waker_sent_to_another_thread_wakes_the_task() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            woken_from_another_thread().await;
            assert!(evloop::monitor::stats().wakes_remote >= 1);
        });
    });
}

#[test]
fn handle_is_send_sync_clone_and_remote_task_is_send() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<evloop::LoopHandle>();
    assert_send::<evloop::RemoteTask<String>>();
    evloop::run(async {
        let h = evloop::handle();
        let t = std::thread::spawn(move || futures_lite::future::block_on(h.spawn(async { 5 })).unwrap());
        // The loop keeps turning while the other thread waits.
        while !t.is_finished() {
            evloop::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(t.join().unwrap(), 5);
    });
}

#[test]
fn a_closed_loop_kept_alive_by_a_handle_does_not_unregister_its_successor() {
    within(Duration::from_secs(10), || {
        // A callback handle outlives its closed loop (and keeps its core alive).
        let old = evloop::EventLoop::new().unwrap();
        let stale = old.block_on(async { evloop::call_later(Duration::from_secs(60), || ()) });
        old.close();
        // The next loop may reuse the registry slot; then the old core goes.
        let lp = evloop::EventLoop::new().unwrap();
        drop(stale);
        // A waker woken from another thread must still reach the new loop.
        lp.block_on(async {
            woken_from_another_thread().await;
        });
    });
}

#[test]
fn remote_task_wait_blocks_another_thread_until_the_task_ends() {
    let lp = evloop::EventLoop::new().unwrap();
    let handle = lp.handle();
    let waiter = std::thread::spawn(move || {
        let slow = handle.spawn(async {
            evloop::sleep(Duration::from_millis(20)).await;
            7
        });
        let value = slow.wait().unwrap();
        let pending = handle.spawn(std::future::pending::<()>());
        let pending = pending
            .wait_timeout(Duration::from_millis(10))
            .expect_err("still running");
        assert!(pending.cancel(), "not finished: cancel says true");
        let err = pending.wait().unwrap_err();
        handle.stop();
        (value, err.is_cancelled())
    });
    lp.run_forever();
    assert_eq!(waiter.join().unwrap(), (7, true));
}

#[test]
fn remote_task_wait_on_the_loops_own_thread_panics_instead_of_deadlocking() {
    let lp = evloop::EventLoop::new().unwrap();
    let task = lp.handle().spawn(async { 1 });
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.wait()));
    let message = evloop_test_support::panic_message(&*panicked.unwrap_err());
    assert!(message.contains("would deadlock"), "{message}");
    // Inside the running loop too.
    let task = lp.handle().spawn(async { 2 });
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lp.block_on(async move { task.wait_timeout(Duration::from_secs(1)).map_err(|_| ()) })
    }));
    assert!(evloop_test_support::panic_message(&*panicked.unwrap_err()).contains("would deadlock"));
}

#[test]
fn a_remote_task_cancelled_before_it_started_never_runs() {
    let lp = evloop::EventLoop::new().unwrap();
    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = ran.clone();
    let task = lp
        .handle()
        .spawn(async move { r.store(true, std::sync::atomic::Ordering::SeqCst) });
    assert!(task.cancel());
    let err = lp.block_on(task).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn event_loop_spawn_queues_a_task_on_a_loop_that_is_not_running() {
    let lp = evloop::EventLoop::new().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    let early = lp.spawn_named("early", async move { o.lock().unwrap().push("early") });
    assert_eq!(early.name(), "early");
    assert!(
        order.lock().unwrap().is_empty(),
        "it runs on the next tick, not in spawn"
    );
    let o = order.clone();
    lp.block_on(async move {
        o.lock().unwrap().push("main");
        early.await.unwrap();
    });
    assert_eq!(*order.lock().unwrap(), ["early", "main"], "queued before the main task");
}
