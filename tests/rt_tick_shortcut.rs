//! The tick's shortcut (`loop-core/src/scheduler.rs`): while the next tick
//! would only run its step 3 — no timer armed, no message pending, no I/O
//! source registered — the tick goes straight into it. These tests pin what
//! must not change: a tick per pass, order, and every way the loop has to
//! stop or look elsewhere still ending the shortcut at once.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop_test_support::within;

/// Spawns link `n` of an endless chain: each link bumps `links` and spawns
/// the next, until `stop` is set. No timer, no I/O, no await.
fn chain(links: Rc<Cell<u64>>, stop: Rc<Cell<bool>>) {
    if stop.get() {
        return;
    }
    links.set(links.get() + 1);
    drop(evloop::spawn(async move { chain(links, stop) }));
}

/// The same chain for a callback or a thread that needs `Send` counters.
fn chain_send(links: Arc<AtomicU64>, stop: Arc<AtomicBool>) {
    if stop.load(Ordering::SeqCst) {
        return;
    }
    links.fetch_add(1, Ordering::SeqCst);
    drop(evloop::spawn(async move { chain_send(links, stop) }));
}

/// A chain of `left` links that sets `done` at its end.
fn finite_chain(left: u64, done: Rc<evloop::sync::Event>) {
    if left == 0 {
        done.set();
    } else {
        drop(evloop::spawn(async move { finite_chain(left - 1, done) }));
    }
}

#[test]
fn every_pass_of_a_chain_is_still_a_tick() {
    evloop::run(async {
        let done = Rc::new(evloop::sync::Event::new());
        let before = evloop::monitor::stats().ticks;
        let d = done.clone();
        drop(evloop::spawn(async move { finite_chain(1000, d) }));
        // Main waits without waking itself: the chain alone keeps the loop
        // busy, so every pass after the first is taken by the shortcut.
        done.wait().await;
        let ticks = evloop::monitor::stats().ticks - before;
        assert!(ticks >= 1000, "1000 links ran in {ticks} ticks: one link per tick");
    });
}

#[test]
fn block_on_returns_after_the_pass_in_which_main_finished() {
    // Without the "main is complete" check, the shortcut would follow the
    // detached chain forever and block_on would never return.
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let links = Rc::new(Cell::new(0));
        let stop = Rc::new(Cell::new(false));
        let (l, s) = (links.clone(), stop.clone());
        lp.block_on(async move {
            drop(evloop::spawn(async move { chain(l, s) }));
            evloop::yield_now().await;
        });
        // The chain's first link ran in the same pass as main's second poll.
        assert_eq!(links.get(), 1);
        // The rest of the chain is still queued: the next run picks it up.
        let l = links.clone();
        lp.block_on(async move {
            while l.get() < 10 {
                evloop::yield_now().await;
            }
        });
        stop.set(true);
        lp.block_on(evloop::yield_now());
    });
}

#[test]
fn stop_ends_run_forever_after_the_current_pass() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let links = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handle = lp.handle();
        let (l, s) = (links.clone(), stop.clone());
        lp.handle()
            .call_soon_threadsafe(move || {
                let (l2, s2) = (l.clone(), s.clone());
                drop(evloop::spawn(async move { chain_send(l2, s2) }));
                // A watcher that stops the loop when the chain reaches 100.
                drop(evloop::spawn(async move {
                    while l.load(Ordering::SeqCst) < 100 {
                        evloop::yield_now().await;
                    }
                    handle.stop();
                }));
            })
            .unwrap();
        lp.run_forever();
        let at_stop = links.load(Ordering::SeqCst);
        assert!((100..=102).contains(&at_stop), "stopped at link {at_stop}");
        stop.store(true, Ordering::SeqCst);
        lp.run_once(Some(Duration::ZERO));
    });
}

#[test]
fn a_message_from_another_thread_ends_the_shortcut() {
    // Without the inbox check the chain would run forever, the callback
    // never.
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let handle = lp.handle();
        lp.block_on(async move {
            let links = Arc::new(AtomicU64::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let (l, s) = (links.clone(), stop.clone());
            drop(evloop::spawn(async move { chain_send(l, s) }));
            let s = stop.clone();
            let poster = std::thread::spawn(move || {
                handle
                    .call_soon_threadsafe(move || s.store(true, Ordering::SeqCst))
                    .unwrap();
            });
            // Main and the chain keep the loop busy: only the inbox check
            // lets the callback in.
            while !stop.load(Ordering::SeqCst) {
                evloop::yield_now().await;
            }
            poster.join().unwrap();
            assert!(links.load(Ordering::SeqCst) >= 1);
        });
    });
}

#[test]
fn run_once_runs_exactly_one_pass_of_a_chain() {
    within(Duration::from_secs(20), run_once_one_pass);
}

fn run_once_one_pass() {
    let lp = evloop::EventLoop::new().unwrap();
    let links = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (l, s) = (links.clone(), stop.clone());
    lp.handle().call_soon_threadsafe(move || chain_send(l, s)).unwrap();
    for pass in 1..=5 {
        lp.run_once(Some(Duration::ZERO));
        assert_eq!(links.load(Ordering::SeqCst), pass, "one link per run_once");
    }
    stop.store(true, Ordering::SeqCst);
    lp.run_once(Some(Duration::ZERO));
}
