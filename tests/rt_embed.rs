//! Embedding: a host program drives the loop one tick at a time
//! (`run_once`, `run_until_idle`), sizes its wait with `next_deadline`, and
//! polls the loop's backend fd (`AsRawFd`).

use std::cell::Cell;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop_test_support::{paused, within};

/// Waits (at most `limit`) for `fd` to poll readable.
fn readable_within(fd: &impl AsRawFd, limit: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = limit.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    n == 1 && pfd.revents & libc::POLLIN != 0
}

#[test]
fn a_task_spawned_before_the_first_tick_runs_on_it() {
    let lp = evloop::EventLoop::new().unwrap();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let task = lp.spawn(async move { r.set(true) });
    assert!(!ran.get());
    lp.run_once(Some(Duration::ZERO));
    assert!(ran.get());
    assert!(task.is_finished());
}

#[test]
fn run_once_with_zero_never_blocks_and_an_idle_fd_is_not_readable() {
    within(Duration::from_secs(30), || {
        let lp = evloop::EventLoop::new().unwrap();
        lp.spawn(evloop::sleep(Duration::from_secs(3600))).cancel_handle();
        for _ in 0..1000 {
            lp.run_once(Some(Duration::ZERO));
        }
        assert!(!readable_within(&lp, Duration::ZERO), "nothing to do: not readable");
    });
}

#[test]
fn a_remote_call_makes_the_backend_fd_readable() {
    let lp = evloop::EventLoop::new().unwrap();
    lp.run_once(Some(Duration::ZERO));
    let handle = lp.handle();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        handle
            .call_soon_threadsafe(move || r.store(true, Ordering::SeqCst))
            .unwrap();
    });
    assert!(
        readable_within(&lp, Duration::from_secs(10)),
        "the remote call made the fd readable"
    );
    sender.join().unwrap();
    lp.run_once(Some(Duration::ZERO)); // takes the message and runs it
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn work_left_after_a_tick_keeps_the_fd_readable() {
    let lp = evloop::EventLoop::new().unwrap();
    let task = lp.spawn(async {
        for _ in 0..3 {
            evloop::yield_now().await;
        }
    });
    let mut ticks = 0;
    while !task.is_finished() {
        assert!(
            ticks == 0 || readable_within(&lp, Duration::ZERO),
            "queued work: the host is told at once"
        );
        lp.run_once(Some(Duration::ZERO));
        ticks += 1;
    }
    assert_eq!(ticks, 4, "one tick per poll of the task");
}

#[test]
fn a_timer_fires_through_run_once_at_its_deadline_on_a_paused_clock() {
    let lp = paused();
    let start = lp.block_on(async { evloop::time() });
    let task = lp.spawn(evloop::sleep(Duration::from_secs(3600)));
    lp.run_once(Some(Duration::ZERO)); // arms the timer
    let deadline = lp.next_deadline().expect("a timer is armed");
    assert!(deadline <= start + Duration::from_secs(3600));
    // A bounded wait moves virtual time by at most the bound.
    lp.run_once(Some(Duration::from_secs(60)));
    assert!(!task.is_finished());
    assert_eq!(lp.block_on(async { evloop::time() }) - start, Duration::from_secs(60));
    let mut ticks = 0;
    while !task.is_finished() {
        lp.run_once(None);
        ticks += 1;
        assert!(ticks < 100, "the timer never fired");
    }
    assert_eq!(lp.block_on(async { evloop::time() }) - start, Duration::from_secs(3600));
    assert_eq!(lp.next_deadline(), None);
}

#[test]
fn a_timer_makes_the_backend_fd_readable_on_a_real_clock() {
    let lp = evloop::EventLoop::new().unwrap();
    let task = lp.spawn(evloop::sleep(Duration::from_millis(20)));
    lp.run_once(Some(Duration::ZERO));
    assert!(!task.is_finished());
    let deadline = lp.next_deadline().expect("armed");
    // The host waits on the fd alone: it becomes readable at the next
    // deadline (the timerfd, armed after each tick), with no help from
    // next_deadline. (A wheel slot's start may come first: then a tick fires
    // nothing and re-arms, so allow a few rounds.)
    let mut ticks = 0;
    while !task.is_finished() {
        assert!(
            readable_within(&lp, Duration::from_secs(10)),
            "the backend fd never became readable for the timer"
        );
        lp.run_once(Some(Duration::ZERO));
        ticks += 1;
        assert!(ticks < 20, "the timer never fired");
    }
    assert!(std::time::Instant::now() >= deadline);
}

#[test]
fn run_until_idle_runs_everything_ready_and_never_waits() {
    within(Duration::from_secs(30), || {
        let lp = evloop::EventLoop::new().unwrap();
        let _sleeper = lp.spawn(evloop::sleep(Duration::from_secs(3600)));
        let count = Rc::new(Cell::new(0));
        let c = count.clone();
        let chain = lp.spawn(async move {
            for _ in 0..100 {
                c.set(c.get() + 1);
                evloop::yield_now().await;
            }
        });
        lp.run_until_idle();
        assert!(chain.is_finished());
        assert_eq!(count.get(), 100);
    });
}

#[test]
fn run_once_inside_a_running_loop_panics_like_block_on() {
    let outer = evloop::EventLoop::new().unwrap();
    let inner = evloop::EventLoop::new().unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        outer.block_on(async { inner.run_once(Some(Duration::ZERO)) })
    }));
    let message = evloop_test_support::panic_message(&*panicked.unwrap_err());
    assert!(message.contains("already running"), "{message}");
}
