//! Signals raised in-process reach `Signals::recv`; every listener gets them.
//!
//! Each test uses its own signal, so tests running in parallel in this
//! binary cannot see each other's deliveries.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use evloop::signal::{ctrl_c, signal, SignalKind};
use evloop_test_support::within;

fn raise(sig: i32) {
    // SAFETY: raise(3) sends `sig` to this process; every caller first
    // installs a handler for it, so the default action (exit) cannot run.
    let rc = unsafe { libc::raise(sig) };
    assert_eq!(rc, 0);
}

#[test]
fn a_raised_signal_reaches_recv() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let mut usr1 = signal(SignalKind::User1).unwrap();
            assert_eq!(usr1.kind(), SignalKind::User1);
            raise(libc::SIGUSR1);
            evloop::timeout(Duration::from_secs(10), usr1.recv())
                .await
                .expect("the signal must arrive")
                .unwrap();
            // A second delivery is a second event.
            raise(libc::SIGUSR1);
            evloop::timeout(Duration::from_secs(10), usr1.recv())
                .await
                .expect("the second signal must arrive")
                .unwrap();
        });
    });
}

#[test]
fn every_listener_in_every_loop_gets_the_signal() {
    within(Duration::from_secs(30), || {
        let ready = Arc::new(Barrier::new(2));
        let other_loop = std::thread::spawn({
            let ready = ready.clone();
            move || {
                evloop::run(async move {
                    let mut s = signal(SignalKind::User2).unwrap();
                    ready.wait();
                    evloop::timeout(Duration::from_secs(10), s.recv()).await.is_ok()
                })
            }
        });
        let got = evloop::run(async {
            let mut a = signal(SignalKind::User2).unwrap();
            let mut b = signal(SignalKind::User2).unwrap();
            let ready = ready.clone();
            std::thread::spawn(move || {
                ready.wait();
                raise(libc::SIGUSR2);
            });
            let a = evloop::timeout(Duration::from_secs(10), a.recv()).await.is_ok();
            let b = evloop::timeout(Duration::from_secs(10), b.recv()).await.is_ok();
            (a, b)
        });
        assert_eq!(got, (true, true), "both listeners of this loop");
        assert!(other_loop.join().unwrap(), "the listener of the other loop");
    });
}

#[test]
fn ctrl_c_resolves_on_sigint() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let waiter = evloop::spawn(ctrl_c());
            // Let it install its handler before the signal is sent.
            evloop::yield_now().await;
            evloop::yield_now().await;
            raise(libc::SIGINT);
            evloop::timeout(Duration::from_secs(10), waiter)
                .await
                .expect("Ctrl-C must arrive")
                .unwrap()
                .unwrap();
        });
    });
}

#[test]
fn signals_is_a_stream() {
    use futures::StreamExt;
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let mut hup = signal(SignalKind::Hangup).unwrap();
            raise(libc::SIGHUP);
            let item = evloop::timeout(Duration::from_secs(10), hup.next()).await.unwrap();
            assert_eq!(item, Some(()));
            assert_eq!(SignalKind::Hangup.to_string(), "SIGHUP");
            assert_eq!(SignalKind::Terminate.as_raw(), libc::SIGTERM);
        });
    });
}
