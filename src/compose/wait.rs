//! `wait`: split tasks into done and pending, on a condition or a deadline.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use super::woken::WokenList;
use crate::Task;

/// When [`wait`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as at least one task has finished (`asyncio.FIRST_COMPLETED`).
    FirstCompleted,
    /// When every task has finished (`asyncio.ALL_COMPLETED`).
    AllCompleted,
}

/// Waits until `when` holds or `timeout` passes, and returns the tasks split
/// into `(done, pending)`, each in input order (asyncio's `wait`).
///
/// Nothing is cancelled — not on return, not on timeout: the pending tasks
/// keep running and can be awaited, cancelled or waited on again. The done
/// tasks still hold their results; await them to take them. A task counts as
/// done however it finished: returned, panicked or cancelled.
///
/// ```
/// use std::time::Duration;
/// use evloop::ReturnWhen;
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let tasks: Vec<_> = [3, 1, 2]
///         .map(|s| evloop::spawn(async move { evloop::sleep(Duration::from_secs(s)).await; s }))
///         .into();
///
///     let (done, pending) = evloop::wait(tasks, ReturnWhen::FirstCompleted, None).await;
///     assert_eq!((done.len(), pending.len()), (1, 2));
///     assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
///
///     // A timeout returns what is done so far and cancels nothing.
///     let (done, pending) = evloop::wait(pending, ReturnWhen::AllCompleted, Some(Duration::from_millis(500))).await;
///     assert_eq!((done.len(), pending.len()), (0, 2));
///     let (done, pending) = evloop::wait(pending, ReturnWhen::AllCompleted, None).await;
///     assert_eq!((done.len(), pending.len()), (2, 0));
/// });
/// ```
///
/// # Panics
/// If `tasks` is empty (there would be nothing to wait for), at the call.
#[track_caller]
pub fn wait<T>(
    tasks: Vec<Task<T>>,
    when: ReturnWhen,
    timeout: Option<Duration>,
) -> impl Future<Output = (Vec<Task<T>>, Vec<Task<T>>)> {
    assert!(
        !tasks.is_empty(),
        "evloop::wait called with no tasks: there is nothing to wait for"
    );
    wait_inner(tasks, when, timeout)
}

async fn wait_inner<T>(
    mut tasks: Vec<Task<T>>,
    when: ReturnWhen,
    timeout: Option<Duration>,
) -> (Vec<Task<T>>, Vec<Task<T>>) {
    let n = tasks.len();
    let mut woken = WokenList::new(n);
    let mut deadline = timeout.map(crate::sleep);
    let mut seen_done = vec![false; n];
    let mut done = 0;
    let mut batch: Vec<u32> = (0..n as u32).collect();
    poll_fn(|cx| {
        woken.register(cx.waker());
        woken.take_into(&mut batch);
        for i in batch.drain(..) {
            let i = i as usize;
            if seen_done[i] {
                continue;
            }
            if tasks[i].is_finished() {
                seen_done[i] = true;
                done += 1;
                continue;
            }
            // Unfinished, so this only registers the task's own waker as its
            // joiner's: it cannot take the output.
            let polled = woken.poll_with(i, |cx| Pin::new(&mut tasks[i]).poll(cx));
            debug_assert!(polled.is_pending());
        }
        let satisfied = match when {
            ReturnWhen::FirstCompleted => done > 0,
            ReturnWhen::AllCompleted => done == n,
        };
        if satisfied {
            return Poll::Ready(());
        }
        match deadline.as_mut().map(|sleep| Pin::new(sleep).poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(()),
            _ => Poll::Pending,
        }
    })
    .await;
    woken.unregister();
    tasks.into_iter().partition(|t| t.is_finished())
}
