//! as_completed: completion order, next().await and Stream.

use std::time::Duration;

use evloop_test_support::{paused, DropCounter};
use futures::{Stream, StreamExt};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

async fn sleeper(s: u64) -> u64 {
    evloop::sleep(secs(s)).await;
    s
}

#[test]
fn yields_in_completion_order_with_next() {
    paused().block_on(async {
        let start = evloop::time();
        let mut done = evloop::as_completed([5, 1, 4, 2, 3].map(sleeper));
        assert_eq!(done.remaining(), 5);
        let mut order = Vec::new();
        while let Some(s) = done.next().await {
            assert_eq!(
                evloop::time() - start,
                secs(s),
                "each output comes as soon as it is ready"
            );
            order.push(s);
        }
        assert_eq!(order, [1, 2, 3, 4, 5]);
        assert_eq!(done.remaining(), 0);
        assert_eq!(done.next().await, None, "stays done");
    });
}

#[test]
fn is_a_stream() {
    paused().block_on(async {
        let stream = evloop::as_completed([3, 1, 2].map(sleeper));
        assert_eq!(stream.size_hint(), (3, Some(3)));
        let order: Vec<u64> = stream.collect().await;
        assert_eq!(order, [1, 2, 3]);
        let mut fused = evloop::as_completed([sleeper(1)]).fuse();
        assert_eq!(fused.next().await, Some(1));
        assert_eq!(fused.next().await, None);
    });
}

#[test]
fn works_over_spawned_tasks() {
    paused().block_on(async {
        let tasks: Vec<_> = [2, 3, 1].into_iter().map(|s| evloop::spawn(sleeper(s))).collect();
        let mut done = evloop::as_completed(tasks);
        let mut order = Vec::new();
        while let Some(r) = done.next().await {
            order.push(r.unwrap());
        }
        assert_eq!(order, [1, 2, 3]);
    });
}

#[test]
fn outputs_ready_in_the_same_tick_come_one_by_one() {
    paused().block_on(async {
        let mut done = evloop::as_completed((0..4).map(|i| async move {
            evloop::sleep(secs(1)).await;
            i
        }));
        let mut got = Vec::new();
        while let Some(i) = done.next().await {
            got.push(i);
        }
        got.sort();
        assert_eq!(got, [0, 1, 2, 3]);
    });
}

#[test]
fn dropping_it_cancels_the_rest() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let mut done = evloop::as_completed([1, 3600, 7200].map(|s| drops.wrap(sleeper(s))));
        assert_eq!(done.next().await, Some(1));
        assert_eq!(drops.get(), 1, "the finished one was dropped when it finished");
        drop(done);
        assert_eq!(drops.get(), 3);
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
    });
}
