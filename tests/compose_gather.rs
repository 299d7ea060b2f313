//! gather, try_gather, join! and try_join!.

use std::time::Duration;

use evloop_test_support::{paused, DropCounter, Log};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn gather_runs_concurrently_and_keeps_input_order() {
    paused().block_on(async {
        let start = evloop::time();
        let log = Log::new();
        let out = evloop::gather([3, 1, 2].map(|s| {
            let log = log.clone();
            async move {
                evloop::sleep(secs(s)).await;
                log.push(format!("done {s}"));
                s * 10
            }
        }))
        .await;
        assert_eq!(out, [30, 10, 20], "input order");
        assert_eq!(log.take(), ["done 1", "done 2", "done 3"], "completion order");
        assert_eq!(
            evloop::time() - start,
            secs(3),
            "3 s for sleeps of 1, 2 and 3 s: they overlapped"
        );
    });
}

#[test]
fn gather_of_results_is_return_exceptions() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let out = evloop::gather((1..=3).map(|n| {
            drops.wrap(async move {
                evloop::sleep(secs(n)).await;
                if n == 2 {
                    Err(format!("Task {n} failed!"))
                } else {
                    Ok(format!("Task {n} succeeded"))
                }
            })
        }))
        .await;
        assert_eq!(
            out,
            [
                Ok("Task 1 succeeded".to_string()),
                Err("Task 2 failed!".to_string()),
                Ok("Task 3 succeeded".to_string())
            ]
        );
        assert_eq!(drops.get(), 3, "every future ran to its end");
    });
}

#[test]
fn gather_borrows_from_the_caller_and_handles_empty_input() {
    paused().block_on(async {
        let names = ["a".to_string(), "b".to_string()];
        let out = evloop::gather(names.iter().map(|n| async move { n.len() })).await;
        assert_eq!(out, [1, 1]);
        let none: Vec<u8> = evloop::gather(Vec::<std::future::Ready<u8>>::new()).await;
        assert!(none.is_empty());
    });
}

#[test]
fn gather_drops_each_future_as_soon_as_it_finishes() {
    paused().block_on(async {
        let fast = DropCounter::new();
        let fast2 = fast.clone();
        let watcher = async move {
            evloop::sleep(secs(2)).await;
            fast2.get()
        };
        let fast_fut = fast.wrap(evloop::sleep(secs(1)));
        let (seen, ()) = evloop::join!(watcher, async {
            evloop::gather([
                Box::pin(fast_fut) as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
                Box::pin(evloop::sleep(secs(3))),
            ])
            .await;
        });
        assert_eq!(seen, 1, "the 1 s future was dropped at 1 s, not when gather returned");
    });
}

#[test]
fn dropping_gather_cancels_every_child() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let children = (0..5).map(|_| drops.wrap(evloop::sleep(secs(3600))));
        let r = evloop::timeout(secs(1), evloop::gather(children)).await;
        assert!(r.is_err());
        assert_eq!(drops.get(), 5);
        assert_eq!(
            evloop::monitor::stats().timers_pending,
            0,
            "their timers went with them"
        );
    });
}

#[test]
fn a_child_that_yields_lets_other_tasks_run_before_it_continues() {
    paused().block_on(async {
        let log = Log::new();
        let l = log.clone();
        let other = evloop::spawn(async move { l.push("other task") });
        let l = log.clone();
        evloop::gather([async move {
            l.push("child before yield");
            evloop::yield_now().await;
            l.push("child after yield");
        }])
        .await;
        other.await.unwrap();
        assert_eq!(log.take(), ["child before yield", "other task", "child after yield"]);
    });
}

#[derive(Debug, PartialEq)]
struct Refused(u64);

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

#[test]
fn try_gather_returns_all_values_in_input_order() {
    paused().block_on(async {
        let out = evloop::try_gather([2, 1, 3].map(|s| async move {
            evloop::sleep(secs(s)).await;
            Ok::<_, Refused>(s)
        }))
        .await;
        assert_eq!(out, Ok(vec![2, 1, 3]));
    });
}

#[test]
fn try_gather_drops_the_slow_future_at_the_first_error() {
    paused().block_on(async {
        let start = evloop::time();
        let slow = DropCounter::new();
        let finished_slow = std::rc::Rc::new(std::cell::Cell::new(false));
        let f = finished_slow.clone();
        let futs: Vec<BoxFuture<Result<u64, Refused>>> = vec![
            Box::pin(slow.wrap(async move {
                evloop::sleep(secs(3600)).await;
                f.set(true);
                Ok(1)
            })),
            Box::pin(async {
                evloop::sleep(secs(1)).await;
                Err(Refused(2))
            }),
            Box::pin(slow.wrap(async {
                evloop::sleep(secs(7200)).await;
                Ok(3)
            })),
        ];
        let r = evloop::try_gather(futs).await;
        assert_eq!(r, Err(Refused(2)));
        assert_eq!(
            slow.get(),
            2,
            "both slow futures were dropped before try_gather returned"
        );
        assert_eq!(evloop::time() - start, secs(1));
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
        evloop::sleep(secs(7200)).await;
        assert!(!finished_slow.get(), "nothing kept running behind our back");
    });
}

#[test]
fn try_gather_stops_at_an_error_that_is_ready_at_once() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let r = evloop::try_gather((0..4).map(|i| {
            drops.wrap(async move {
                if i == 1 {
                    return Err(Refused(i));
                }
                evloop::sleep(secs(1)).await;
                Ok(i)
            })
        }))
        .await;
        assert_eq!(r, Err(Refused(1)));
        assert_eq!(drops.get(), 4);
    });
}

#[test]
fn join_mixes_types_and_runs_concurrently() {
    paused().block_on(async {
        let start = evloop::time();
        let borrowed = String::from("borrowed");
        let (a, b, c, d) = evloop::join!(
            async {
                evloop::sleep(secs(2)).await;
                1u8
            },
            async {
                evloop::sleep(secs(1)).await;
                borrowed.as_str()
            },
            evloop::sleep(secs(2)),
            async { vec![1, 2, 3] },
        );
        assert_eq!((a, b, c, d), (1, "borrowed", (), vec![1, 2, 3]));
        assert_eq!(evloop::time() - start, secs(2));
        let (one,) = evloop::join!(async { 1 });
        assert_eq!(one, 1);
        let twelve = evloop::join!(
            async { 1 },
            async { 2 },
            async { 3 },
            async { 4 },
            async { 5 },
            async { 6 },
            async { 7 },
            async { 8 },
            async { 9 },
            async { 10 },
            async { 11 },
            async { 12 },
        );
        assert_eq!(twelve.11, 12);
    });
}

#[test]
fn try_join_returns_the_first_error_and_drops_the_rest() {
    paused().block_on(async {
        let start = evloop::time();
        let drops = DropCounter::new();
        let r: Result<(u8, &str, ()), Refused> = evloop::try_join!(
            drops.wrap(async {
                evloop::sleep(secs(3600)).await;
                Ok(1u8)
            }),
            async {
                evloop::sleep(secs(2)).await;
                Ok("never")
            },
            async {
                evloop::sleep(secs(1)).await;
                Err(Refused(9))
            },
        );
        assert_eq!(r, Err(Refused(9)));
        assert_eq!(drops.get(), 1, "dropped before try_join! returned");
        assert_eq!(evloop::time() - start, secs(1));
        let ok = evloop::try_join!(async { Ok::<_, Refused>(1) }, async { Ok(2.5) });
        assert_eq!(ok, Ok((1, 2.5)));
    });
}

/// A future completed by another thread, which wakes it from there.
struct FromThread {
    state: std::sync::Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>,
}

impl FromThread {
    fn new(delay: Duration) -> FromThread {
        let state = std::sync::Arc::new(std::sync::Mutex::new((false, None::<std::task::Waker>)));
        let s = state.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            let mut st = s.lock().unwrap();
            st.0 = true;
            if let Some(w) = st.1.take() {
                w.wake();
            }
        });
        FromThread { state }
    }
}

impl std::future::Future for FromThread {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        let mut st = self.state.lock().unwrap();
        if st.0 {
            return std::task::Poll::Ready(());
        }
        st.1 = Some(cx.waker().clone());
        std::task::Poll::Pending
    }
}

#[test]
fn children_woken_from_other_threads_are_polled() {
    evloop_test_support::within(Duration::from_secs(60), || {
        evloop::run(async {
            let out = evloop::gather((0..8).map(|i| async move {
                FromThread::new(Duration::from_millis(5 * i)).await;
                i
            }))
            .await;
            assert_eq!(out, (0..8).collect::<Vec<u64>>());
            let mut done = evloop::as_completed((0..4).map(|i| async move {
                FromThread::new(Duration::from_millis(1)).await;
                i
            }));
            let mut n = 0;
            while done.next().await.is_some() {
                n += 1;
            }
            assert_eq!(n, 4);
        })
    });
}
