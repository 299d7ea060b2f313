//! gather and as_completed over 100,000 futures cost O(n) polls in total:
//! a wake polls only the future it belongs to. Counted, not timed.

use std::time::Duration;

use evloop_test_support::{paused, within, Polls};

const N: u64 = 100_000;

/// Child `i` sleeps `N - i` µs: they finish one per tick, last first, so a
/// composition that rescanned every child on each wake would poll ~N²/2 times.
fn child(polls: &Polls, i: u64) -> impl std::future::Future<Output = u64> {
    polls.wrap(async move {
        evloop::sleep(Duration::from_micros(N - i)).await;
        i
    })
}

#[test]
fn gather_of_100k_staggered_futures_polls_each_twice() {
    within(Duration::from_secs(300), || {
        paused().block_on(async {
            let children = Polls::new();
            let parent = Polls::new();
            let out = parent.wrap(evloop::gather((0..N).map(|i| child(&children, i)))).await;
            assert!(out.iter().copied().eq(0..N), "input order");
            assert_eq!(children.get(), 2 * N, "one poll to start, one when its timer fired");
            assert!(parent.get() <= N + 2, "one parent poll per tick: {}", parent.get());
        })
    });
}

#[test]
fn as_completed_of_100k_staggered_futures_polls_each_twice() {
    within(Duration::from_secs(300), || {
        paused().block_on(async {
            let children = Polls::new();
            let mut done = evloop::as_completed((0..N).map(|i| child(&children, i)));
            let mut expected = N;
            while let Some(i) = done.next().await {
                expected -= 1;
                assert_eq!(i, expected, "completion order: the shortest sleep first");
            }
            assert_eq!(expected, 0);
            assert_eq!(children.get(), 2 * N);
        })
    });
}

#[test]
fn gather_of_100k_ready_futures_polls_each_once() {
    within(Duration::from_secs(300), || {
        paused().block_on(async {
            let children = Polls::new();
            let parent = Polls::new();
            let out = parent
                .wrap(evloop::gather((0..N).map(|i| children.wrap(async move { i }))))
                .await;
            assert_eq!(out.len() as u64, N);
            assert_eq!(children.get(), N);
            assert_eq!(parent.get(), 1);
        })
    });
}

#[test]
fn try_gather_of_100k_once_pending_futures_polls_each_twice() {
    within(Duration::from_secs(300), || {
        paused().block_on(async {
            let children = Polls::new();
            let out = evloop::try_gather((0..N).map(|i| {
                children.wrap(async move {
                    evloop::yield_now().await;
                    Ok::<_, std::fmt::Error>(i)
                })
            }))
            .await
            .unwrap();
            assert_eq!(out.len() as u64, N);
            assert_eq!(children.get(), 2 * N);
        })
    });
}
