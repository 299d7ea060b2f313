//! Cancellation propagates inward: a pending `Task` handle dropped as part
//! of a cancellation cancels its task (asyncio cancels the future a
//! cancelled task waits on); any other drop detaches; `shield` and
//! `Task::detached` stop it. One test per kind of cancellation and per way
//! of awaiting.

use std::future::Future;
use std::time::Duration;

use evloop::{CancelHandle, ReturnWhen, Task};
use evloop_test_support::paused;

/// A task that would run an hour, and the right to look at it afterwards.
fn long_task() -> (Task<()>, CancelHandle) {
    let task = evloop::spawn(evloop::sleep(Duration::from_secs(3600)));
    let watch = task.cancel_handle();
    (task, watch)
}

/// Runs `awaiter` as a task, lets it start awaiting, cancels it, and says
/// whether the inner task ended (cancelled) as a result.
fn inner_ends_when_the_awaiter_is_cancelled<F>(make: impl FnOnce(Task<()>) -> F) -> bool
where
    F: Future + 'static,
{
    paused().block_on(async move {
        let (inner, watch) = long_task();
        let awaiter = evloop::spawn(make(inner));
        evloop::yield_now().await;
        evloop::yield_now().await;
        assert!(awaiter.cancel());
        let _ = awaiter.await;
        evloop::yield_now().await;
        let ended = watch.is_finished();
        watch.cancel();
        ended
    })
}

#[test]
fn a_directly_awaited_task_is_cancelled_with_its_awaiter() {
    assert!(inner_ends_when_the_awaiter_is_cancelled(|inner| async move {
        let _ = inner.await;
    }));
}

#[test]
fn it_propagates_through_gather_try_gather_join_as_completed_and_wait() {
    assert!(inner_ends_when_the_awaiter_is_cancelled(|inner| async move {
        let _ = evloop::gather([inner]).await;
    }));
    assert!(inner_ends_when_the_awaiter_is_cancelled(|inner| async move {
        let ok = async { Ok::<(), ()>(()) };
        let _ = evloop::try_gather([async move { inner.await.map_err(|_| ()) }]).await;
        let _ = ok.await;
    }));
    assert!(inner_ends_when_the_awaiter_is_cancelled(|inner| async move {
        let _ = evloop::join!(inner, evloop::sleep(Duration::from_secs(7200)));
    }));
    assert!(inner_ends_when_the_awaiter_is_cancelled(|inner| async move {
        let mut done = evloop::as_completed([inner]);
        let _ = done.next().await;
    }));
    assert!(inner_ends_when_the_awaiter_is_cancelled(|inner| async move {
        let _ = evloop::wait(vec![inner], ReturnWhen::AllCompleted, None).await;
    }));
}

#[test]
fn shield_and_detached_stop_the_propagation() {
    assert!(!inner_ends_when_the_awaiter_is_cancelled(|inner| async move {
        let _ = inner.detached().await;
    }));
    paused().block_on(async {
        let shielded = evloop::shield(evloop::sleep(Duration::from_secs(3600)));
        let awaiter = evloop::spawn(shielded);
        evloop::yield_now().await;
        awaiter.cancel();
        let _ = awaiter.await;
        // The shielded task is still there (only the main task and it).
        assert_eq!(evloop::all_tasks().len(), 2);
    });
}

#[test]
fn a_handle_dropped_outside_a_cancellation_detaches() {
    paused().block_on(async {
        // Never awaited, dropped while its owner is cancelled: detaches.
        let (inner, watch) = long_task();
        let owner = evloop::spawn(async move {
            let _kept = inner;
            std::future::pending::<()>().await
        });
        evloop::yield_now().await;
        owner.cancel();
        let _ = owner.await;
        evloop::yield_now().await;
        assert!(!watch.is_finished(), "a handle never awaited detaches");
        watch.cancel();
        // Awaited, then dropped by ordinary scope exit: detaches.
        let (inner, watch) = long_task();
        let _ = evloop::timeout_scope(None, |_| async move {
            let mut inner = std::pin::pin!(inner);
            evloop::select! { _ = inner.as_mut() => (), _ = evloop::yield_now() => () };
        })
        .await;
        evloop::yield_now().await;
        assert!(!watch.is_finished(), "a handle leaving scope normally detaches");
        watch.cancel();
    });
}

#[test]
fn an_expiring_timeout_or_scope_cancels_the_task_it_awaited() {
    paused().block_on(async {
        let (inner, watch) = long_task();
        assert!(evloop::timeout(Duration::from_secs(1), inner).await.is_err());
        evloop::yield_now().await;
        assert!(watch.is_finished(), "timeout");
        let (inner, watch) = long_task();
        let at = evloop::time() + Duration::from_secs(1);
        assert!(evloop::timeout_scope(Some(at), |_| inner).await.is_err());
        evloop::yield_now().await;
        assert!(watch.is_finished(), "timeout_scope");
    });
}

#[test]
fn a_losing_select_branch_and_a_failed_try_gather_cancel_what_they_awaited() {
    paused().block_on(async {
        let (inner, watch) = long_task();
        let won = evloop::select! {
            _ = inner => "inner",
            _ = evloop::sleep(Duration::from_secs(1)) => "sleep",
        };
        assert_eq!(won, "sleep");
        evloop::yield_now().await;
        assert!(watch.is_finished(), "select!");
        let (inner, watch) = long_task();
        let failed = evloop::try_gather([
            Box::pin(async move { inner.await.map_err(|_| "cancelled") }) as std::pin::Pin<Box<dyn Future<Output = _>>>,
            Box::pin(async {
                evloop::sleep(Duration::from_secs(1)).await;
                Err("failed")
            }),
        ])
        .await;
        assert_eq!(failed, Err("failed"));
        evloop::yield_now().await;
        assert!(watch.is_finished(), "try_gather");
    });
}

#[test]
fn a_task_group_abort_cancels_what_its_body_awaited() {
    paused().block_on(async {
        let (inner, watch) = long_task();
        let result = evloop::task_group(|group| async move {
            drop(group.spawn(async {
                evloop::sleep(Duration::from_secs(1)).await;
                Err::<(), _>("child failed")
            }));
            let _ = inner.await;
            Ok::<(), &str>(())
        })
        .await;
        assert!(result.is_err());
        evloop::yield_now().await;
        assert!(watch.is_finished());
    });
}
