//! A panic in one shard cancels the other shards' main futures (their
//! destructors and `on_cancel` hooks run), waits for every loop to close,
//! then resumes in the caller.

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::shard;
use evloop_test_support::{panic_message, within};

/// Counts its drops across threads.
struct Dropped(Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_panicking_shard_cancels_the_others_then_the_panic_reaches_the_caller() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let hooks = Arc::new(AtomicUsize::new(0));
    let result = within(Duration::from_secs(30), {
        let (dropped, hooks) = (dropped.clone(), hooks.clone());
        move || {
            std::panic::catch_unwind(move || {
                shard::run(3, move |me| {
                    let (dropped, hooks) = (dropped.clone(), hooks.clone());
                    async move {
                        if me.index() == 1 {
                            evloop::sleep(Duration::from_millis(20)).await;
                            panic!("boom from shard 1");
                        }
                        let _guard = Dropped(dropped);
                        // Would wait forever: only the cancellation ends it.
                        evloop::on_cancel(pending::<()>(), move || {
                            hooks.fetch_add(1, Ordering::SeqCst);
                        })
                        .await;
                    }
                })
            })
        }
    });
    let payload = result.expect_err("the panic must reach the caller");
    assert_eq!(panic_message(&*payload), "boom from shard 1");
    // Both other shards' main futures were dropped before run returned.
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
    assert_eq!(hooks.load(Ordering::SeqCst), 2);
}

#[test]
fn a_panic_in_f_itself_propagates_the_same_way() {
    let result = within(Duration::from_secs(30), || {
        std::panic::catch_unwind(|| {
            shard::run(2, |me| {
                assert_ne!(me.index(), 0, "shard 0 refuses to start");
                pending::<()>()
            })
        })
    });
    let message = panic_message(&*result.unwrap_err());
    assert!(message.contains("shard 0 refuses to start"), "{message}");
}

#[test]
fn tasks_left_on_the_cancelled_shards_are_cancelled_when_their_loops_close() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let result = within(Duration::from_secs(30), {
        let dropped = dropped.clone();
        move || {
            std::panic::catch_unwind(move || {
                shard::run(2, move |me| {
                    let dropped = dropped.clone();
                    async move {
                        if me.index() == 0 {
                            evloop::sleep(Duration::from_millis(20)).await;
                            panic!("shard 0 gives up");
                        }
                        // A detached task, not the main future: closing the loop ends it.
                        let guard = Dropped(dropped);
                        let _detached = evloop::spawn(async move {
                            let _guard = guard;
                            pending::<()>().await
                        });
                        pending::<()>().await
                    }
                })
            })
        }
    });
    assert!(result.is_err());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[test]
fn a_loop_that_cannot_be_built_is_reported_without_starting_any_shard() {
    let started = Arc::new(AtomicUsize::new(0));
    let result = within(Duration::from_secs(30), {
        let started = started.clone();
        move || {
            let which = Arc::new(AtomicUsize::new(0));
            std::panic::catch_unwind(move || {
                shard::Builder::new(3)
                    .loop_builder(move || {
                        assert_ne!(which.fetch_add(1, Ordering::SeqCst), 1, "no loop for you");
                        evloop::EventLoop::builder()
                    })
                    .run(move |_| {
                        started.fetch_add(1, Ordering::SeqCst);
                        async {}
                    })
            })
        }
    });
    let message = panic_message(&*result.unwrap_err());
    assert!(
        message.contains("could not build its event loop") && message.contains("no loop for you"),
        "{message}"
    );
    assert_eq!(
        started.load(Ordering::SeqCst),
        0,
        "no shard's f runs when a loop is missing"
    );
}
