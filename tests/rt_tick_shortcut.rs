//! The tick's shortcut (`loop-core/src/scheduler.rs`): while the next tick
//! would only run its step 3 — no timer armed, no message pending, no I/O
//! source registered — the tick goes straight into it. These tests pin what
//! must not change: a tick per pass, order, and every way the loop has to
//! stop or look elsewhere still ending the shortcut at once.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop_test_support::within;

/// An endless chain of tasks: each link counts itself and spawns the next,
/// until stopped. No timer, no I/O, no await. `Send`, so that a callback
/// posted from another thread can start it.
#[derive(Clone, Default)]
struct Chain {
    links: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
}

impl Chain {
    /// Runs one link (call it from a task or a callback on the loop).
    fn link(self) {
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        self.links.fetch_add(1, Ordering::SeqCst);
        drop(evloop::spawn(async move { self.link() }));
    }

    /// Spawns the first link.
    fn start(&self) {
        let first = self.clone();
        drop(evloop::spawn(async move { first.link() }));
    }

    fn links(&self) -> u64 {
        self.links.load(Ordering::SeqCst)
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
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
        let chain = Chain::default();
        lp.block_on(async {
            chain.start();
            evloop::yield_now().await;
        });
        // The chain's first link ran in the same pass as main's second poll.
        assert_eq!(chain.links(), 1);
        // The rest of the chain is still queued: the next run picks it up.
        lp.block_on(async {
            while chain.links() < 10 {
                evloop::yield_now().await;
            }
        });
        chain.stop();
        lp.block_on(evloop::yield_now());
    });
}

#[test]
fn stop_ends_run_forever_after_the_current_pass() {
    within(Duration::from_secs(20), || {
        let lp = evloop::EventLoop::new().unwrap();
        let chain = Chain::default();
        let handle = lp.handle();
        let c = chain.clone();
        lp.handle()
            .call_soon_threadsafe(move || {
                c.start();
                // A watcher that stops the loop when the chain reaches 100.
                drop(evloop::spawn(async move {
                    while c.links() < 100 {
                        evloop::yield_now().await;
                    }
                    handle.stop();
                }));
            })
            .unwrap();
        lp.run_forever();
        let at_stop = chain.links();
        assert!((100..=102).contains(&at_stop), "stopped at link {at_stop}");
        chain.stop();
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
            let chain = Chain::default();
            chain.start();
            let c = chain.clone();
            let poster = std::thread::spawn(move || handle.call_soon_threadsafe(move || c.stop()).unwrap());
            // Main and the chain keep the loop busy: only the inbox check
            // lets the callback in.
            while !chain.stopped.load(Ordering::SeqCst) {
                evloop::yield_now().await;
            }
            poster.join().unwrap();
            assert!(chain.links() >= 1);
        });
    });
}

#[test]
fn run_once_runs_exactly_one_pass_of_a_chain() {
    within(Duration::from_secs(20), run_once_one_pass);
}

fn run_once_one_pass() {
    let lp = evloop::EventLoop::new().unwrap();
    let chain = Chain::default();
    let c = chain.clone();
    lp.handle().call_soon_threadsafe(move || c.link()).unwrap();
    for pass in 1..=5 {
        lp.run_once(Some(Duration::ZERO));
        assert_eq!(chain.links(), pass, "one link per run_once");
    }
    chain.stop();
    lp.run_once(Some(Duration::ZERO));
}
