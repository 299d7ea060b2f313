//! Ctrl-C / SIGTERM reach every shard: each shard that listens is told of
//! each delivery (this binary's own process, so no other test sees them).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::shard;
use evloop::signal::{signal, SignalKind};
use evloop_test_support::within;

fn raise(sig: i32) {
    // SAFETY: raise(3) sends `sig` to this process; every shard has
    // installed a handler for it before this runs, so the default action
    // (ending the process) cannot happen.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

/// Every shard listens for `kind`; shard 0 raises `sig` once all listen;
/// returns whether each shard heard it.
fn every_shard_hears(n: usize, kind: SignalKind, sig: i32) -> Vec<bool> {
    let listening = Arc::new(AtomicUsize::new(0));
    within(Duration::from_secs(30), move || {
        shard::run(n, move |me| {
            let listening = listening.clone();
            async move {
                let mut signals = signal(kind).unwrap();
                listening.fetch_add(1, Ordering::SeqCst);
                if me.index() == 0 {
                    while listening.load(Ordering::SeqCst) < me.count() {
                        evloop::sleep(Duration::from_millis(1)).await;
                    }
                    raise(sig);
                }
                evloop::timeout(Duration::from_secs(10), signals.recv()).await.is_ok()
            }
        })
    })
}

#[test]
fn one_sigterm_reaches_every_listening_shard() {
    assert_eq!(
        every_shard_hears(3, SignalKind::Terminate, libc::SIGTERM),
        vec![true; 3]
    );
}

#[test]
fn one_ctrl_c_reaches_every_listening_shard() {
    assert_eq!(every_shard_hears(2, SignalKind::Interrupt, libc::SIGINT), vec![true; 2]);
}
