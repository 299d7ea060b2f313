//! wait: (done, pending), FirstCompleted / AllCompleted, timeouts.

use std::time::Duration;

use evloop::ReturnWhen;
use evloop_test_support::{panic_message, paused};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn sleepers(list: &[u64]) -> Vec<evloop::Task<u64>> {
    list.iter()
        .map(|&s| {
            evloop::spawn(async move {
                evloop::sleep(secs(s)).await;
                s
            })
        })
        .collect()
}

async fn values(tasks: Vec<evloop::Task<u64>>) -> Vec<u64> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[test]
fn first_completed_returns_as_soon_as_one_is_done() {
    paused().block_on(async {
        let start = evloop::time();
        let (done, pending) = evloop::wait(sleepers(&[3, 1, 2]), ReturnWhen::FirstCompleted, None).await;
        assert_eq!(evloop::time() - start, secs(1));
        assert_eq!(values(done).await, [1]);
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|t| !t.is_finished()));
        let (done, pending) = evloop::wait(pending, ReturnWhen::FirstCompleted, None).await;
        assert_eq!(values(done).await, [2]);
        assert_eq!(values(pending).await, [3], "pending tasks were left running");
    });
}

#[test]
fn all_completed_returns_done_in_input_order() {
    paused().block_on(async {
        let start = evloop::time();
        let (done, pending) = evloop::wait(sleepers(&[3, 1, 2]), ReturnWhen::AllCompleted, None).await;
        assert_eq!(evloop::time() - start, secs(3));
        assert!(pending.is_empty());
        assert_eq!(values(done).await, [3, 1, 2]);
    });
}

#[test]
fn a_timeout_returns_what_is_done_and_cancels_nothing() {
    paused().block_on(async {
        let start = evloop::time();
        let tasks = sleepers(&[1, 10, 3, 20]);
        let (done, pending) = evloop::wait(tasks, ReturnWhen::AllCompleted, Some(secs(5))).await;
        assert_eq!(evloop::time() - start, secs(5));
        assert_eq!(values(done).await, [1, 3]);
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|t| !t.is_finished()), "not cancelled");
        assert_eq!(values(pending).await, [10, 20], "and they finish normally");
        assert_eq!(evloop::time() - start, secs(20));
    });
}

#[test]
fn first_completed_with_a_timeout_that_comes_first() {
    paused().block_on(async {
        let (done, pending) = evloop::wait(sleepers(&[10, 20]), ReturnWhen::FirstCompleted, Some(secs(1))).await;
        assert!(done.is_empty());
        assert_eq!(pending.len(), 2);
        for t in &pending {
            t.cancel();
        }
    });
}

#[test]
fn finished_cancelled_and_panicked_tasks_count_as_done() {
    paused().block_on(async {
        let ok = evloop::spawn(async { 1 });
        let cancelled = evloop::spawn(async {
            evloop::sleep(secs(3600)).await;
            2
        });
        let panicked = evloop::spawn(async {
            evloop::sleep(secs(1)).await;
            panic!("boom")
        });
        cancelled.cancel();
        let (done, pending) = evloop::wait(vec![ok, cancelled, panicked], ReturnWhen::AllCompleted, None).await;
        assert!(pending.is_empty());
        let mut results = Vec::new();
        for t in done {
            results.push(t.await);
        }
        assert_eq!(results[0].as_ref().unwrap(), &1);
        assert!(results[1].as_ref().unwrap_err().is_cancelled());
        assert!(results[2].as_ref().unwrap_err().is_panic());
    });
}

#[test]
fn already_done_tasks_return_at_once() {
    paused().block_on(async {
        let t = evloop::spawn(async { 7 });
        evloop::yield_now().await;
        assert!(t.is_finished());
        let start = evloop::time();
        let (done, pending) = evloop::wait(vec![t], ReturnWhen::FirstCompleted, None).await;
        assert_eq!((done.len(), pending.len(), evloop::time()), (1, 0, start));
    });
}

#[test]
fn empty_input_panics_with_a_clear_message() {
    let p = std::panic::catch_unwind(|| {
        paused().block_on(async {
            let _ = evloop::wait(Vec::<evloop::Task<()>>::new(), ReturnWhen::AllCompleted, None).await;
        })
    })
    .unwrap_err();
    let msg = panic_message(&*p);
    assert!(msg.contains("evloop::wait") && msg.contains("no tasks"), "{msg}");
}
