//! task_group / TaskGroup: asyncio.TaskGroup's semantics.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::Duration;

use evloop::{BoxError, ErrorGroup, Task, TaskGroup};
use evloop_test_support::{panic_message, paused, DropCounter, Log};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

async fn fetch(name: &'static str, s: u64) -> Result<String, BoxError> {
    evloop::sleep(secs(s)).await;
    Ok(format!("{name}: data"))
}

async fn fail_after(s: u64, msg: &'static str) -> Result<(), BoxError> {
    evloop::sleep(secs(s)).await;
    Err(msg.into())
}

fn messages(g: &ErrorGroup) -> Vec<String> {
    g.iter().map(|e| e.to_string()).collect()
}

#[test]
fn all_children_succeed() {
    paused().block_on(async {
        let start = evloop::time();
        let (t1, t2, t3) = evloop::task_group(|tg| async move {
            let t1 = tg.spawn(fetch("API 1", 2));
            let t2 = tg.spawn(fetch("API 2", 1));
            let t3 = tg.spawn(fetch("API 3", 3));
            Ok::<_, BoxError>((t1, t2, t3))
        })
        .await
        .unwrap();
        assert_eq!(
            evloop::time() - start,
            secs(3),
            "the group waited for every child, concurrently"
        );
        assert!(t1.is_finished() && t2.is_finished() && t3.is_finished());
        assert_eq!(t1.await.unwrap(), "API 1: data");
        assert_eq!(t2.await.unwrap(), "API 2: data");
        assert_eq!(t3.await.unwrap(), "API 3: data");
    });
}

#[test]
fn the_first_failure_cancels_the_siblings_and_the_body() {
    paused().block_on(async {
        let start = evloop::time();
        let sibling = DropCounter::new();
        let body_drops = DropCounter::new();
        let log = Log::new();
        let handles: Rc<RefCell<Vec<Task<()>>>> = Rc::default();
        let (s, b, l, h) = (sibling.clone(), body_drops.clone(), log.clone(), handles.clone());
        let r = evloop::task_group(|tg| async move {
            h.borrow_mut().push(tg.spawn(s.wrap(async {
                evloop::sleep(secs(3600)).await;
                Ok::<_, BoxError>(())
            })));
            h.borrow_mut().push(tg.spawn(fail_after(1, "child failed")));
            b.wrap(evloop::sleep(secs(3600))).await;
            l.push("body went on");
            Ok::<_, BoxError>(())
        })
        .await;
        let err = r.unwrap_err();
        assert_eq!(messages(&err), ["child failed"]);
        assert_eq!(
            evloop::time() - start,
            secs(1),
            "nobody waited for the hour-long sleeps"
        );
        assert_eq!(sibling.get(), 1, "the sibling was dropped before task_group returned");
        assert_eq!(body_drops.get(), 1, "the body was dropped where it waited");
        assert!(log.take().is_empty());
        let handles = std::mem::take(&mut *handles.borrow_mut());
        for t in handles {
            assert!(t.is_finished());
            assert!(
                t.await.unwrap_err().is_cancelled(),
                "cancelled and failed children yield a cancelled TaskError"
            );
        }
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
    });
}

#[test]
fn failures_in_the_same_tick_are_all_reported_in_completion_order() {
    paused().block_on(async {
        let sleeper = DropCounter::new();
        let s = sleeper.clone();
        let err = evloop::task_group(|tg| async move {
            // c0 arms its timer one tick after the others (same deadline), so it fails last.
            tg.start_soon(async {
                evloop::yield_now().await;
                fail_after(1, "c0").await
            });
            tg.start_soon(fail_after(1, "c1"));
            tg.start_soon(s.wrap(evloop::sleep(secs(3600))).map_ok());
            tg.start_soon(fail_after(1, "c2"));
            tg.start_soon(fail_after(2, "too late: cancelled first"));
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["c1", "c2", "c0"]);
        assert_eq!(sleeper.get(), 1);
    });
}

trait MapOk: std::future::Future<Output = ()> + Sized {
    fn map_ok(self) -> impl std::future::Future<Output = Result<(), BoxError>> {
        async move {
            self.await;
            Ok(())
        }
    }
}
impl<F: std::future::Future<Output = ()>> MapOk for F {}

#[test]
fn the_body_error_comes_last() {
    paused().block_on(async {
        let err = evloop::task_group(|tg| async move {
            tg.start_soon(fail_after(1, "child"));
            evloop::yield_now().await; // the child arms its timer first
            evloop::sleep(secs(1)).await; // due in the same tick, after the child failed
            Err::<(), _>("body")
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["child", "body"]);
        assert_eq!(err.to_string(), "2 errors in task group:\n  - child\n  - body");
    });
}

#[test]
fn a_body_error_cancels_the_children() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let d = drops.clone();
        let start = evloop::time();
        let err = evloop::task_group(|tg| async move {
            for _ in 0..3 {
                tg.start_soon(d.wrap(evloop::sleep(secs(3600))).map_ok());
            }
            evloop::sleep(secs(1)).await;
            Err::<(), BoxError>("body failed".into())
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["body failed"]);
        assert_eq!(drops.get(), 3);
        assert_eq!(evloop::time() - start, secs(1));
    });
}

#[test]
fn cancelled_children_add_no_error() {
    paused().block_on(async {
        let out = evloop::task_group(|tg| async move {
            let t = tg.spawn(fetch("slow", 3600));
            evloop::sleep(secs(1)).await;
            t.cancel();
            assert!(t.await.unwrap_err().is_cancelled());
            Ok::<_, BoxError>("body value")
        })
        .await;
        assert_eq!(out.unwrap(), "body value");
    });
}

#[test]
fn a_child_panic_cancels_the_rest_then_unwinds_out_of_task_group() {
    paused().block_on(async {
        let sibling = DropCounter::new();
        let body_drops = DropCounter::new();
        let (s, b) = (sibling.clone(), body_drops.clone());
        let outer = evloop::spawn(async move {
            evloop::task_group(|tg| async move {
                tg.start_soon(s.wrap(evloop::sleep(secs(3600))).map_ok());
                tg.start_soon(async {
                    evloop::sleep(secs(1)).await;
                    if true {
                        panic!("child boom");
                    }
                    Ok::<_, BoxError>(())
                });
                b.wrap(evloop::sleep(secs(3600))).await;
                Ok::<_, BoxError>(())
            })
            .await
        });
        let err = outer.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            panic_message(&*err.into_panic()),
            "child boom",
            "the child's own payload, unwrapped"
        );
        assert_eq!(
            (sibling.get(), body_drops.get()),
            (1, 1),
            "cancelled before the unwinding"
        );
    });
}

#[test]
fn a_body_panic_cancels_the_children_then_unwinds() {
    let lp = paused();
    let drops = DropCounter::new();
    let d = drops.clone();
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
        lp.block_on(async move {
            let _ = evloop::task_group(|tg| async move {
                tg.start_soon(d.wrap(evloop::sleep(secs(3600))).map_ok());
                tg.start_soon(d.wrap(evloop::sleep(secs(3600))).map_ok());
                evloop::sleep(secs(1)).await;
                panic!("body boom");
                #[allow(unreachable_code)]
                Ok::<_, BoxError>(())
            })
            .await;
        })
    }))
    .unwrap_err();
    assert_eq!(panic_message(&*caught), "body boom");
    assert_eq!(
        drops.get(),
        2,
        "both children were dropped before the panic left task_group"
    );
}

#[test]
fn a_panicked_childs_handle_reports_a_panic() {
    paused().block_on(async {
        let handle: Rc<RefCell<Option<Task<()>>>> = Rc::default();
        let h = handle.clone();
        let outer = evloop::spawn(evloop::task_group(move |tg| async move {
            *h.borrow_mut() = Some(tg.spawn(async {
                if true {
                    panic!("boom");
                }
                Ok::<(), BoxError>(())
            }));
            Ok::<_, BoxError>(())
        }));
        assert!(outer.await.unwrap_err().is_panic());
        let child = handle.borrow_mut().take().unwrap();
        let err = child.await.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("task_group"), "{err}");
    });
}

#[test]
fn late_children_spawned_by_children_are_awaited() {
    paused().block_on(async {
        let start = evloop::time();
        let log = Log::new();
        let l = log.clone();
        evloop::task_group(|tg| async move {
            let tg2 = tg.clone();
            tg.start_soon(async move {
                evloop::sleep(secs(1)).await;
                l.push("a");
                let tg3 = tg2.clone();
                let l2 = l.clone();
                tg2.start_soon(async move {
                    evloop::sleep(secs(2)).await;
                    l2.push("b");
                    tg3.start_soon(async move {
                        evloop::sleep(secs(1)).await;
                        l2.push("c");
                        Ok::<_, BoxError>(())
                    });
                    Ok::<_, BoxError>(())
                });
                Ok::<_, BoxError>(())
            });
            Ok::<_, BoxError>(()) // the body is done at once
        })
        .await
        .unwrap();
        assert_eq!(log.take(), ["a", "b", "c"]);
        assert_eq!(evloop::time() - start, secs(4));
    });
}

#[test]
fn spawn_after_the_group_finished_panics() {
    paused().block_on(async {
        let kept: Rc<RefCell<Option<TaskGroup>>> = Rc::default();
        let k = kept.clone();
        evloop::task_group(|tg| async move {
            *k.borrow_mut() = Some(tg.clone());
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
        let tg = kept.borrow_mut().take().unwrap();
        assert!(!tg.is_running());
        let p = std::panic::catch_unwind(AssertUnwindSafe(|| {
            drop(tg.spawn(async { Ok::<_, BoxError>(()) }));
        }))
        .unwrap_err();
        assert!(panic_message(&*p).contains("finished"), "{}", panic_message(&*p));
    });
}

#[test]
fn a_child_spawned_while_the_group_shuts_down_never_runs() {
    paused().block_on(async {
        let log = Log::new();
        let l = log.clone();
        let err = evloop::task_group(|tg| async move {
            let tg2 = tg.clone();
            // Its cleanup runs when the group cancels it, and spawns a sibling.
            tg.start_soon(evloop::on_cancel(fetch("slow", 3600), move || {
                let l2 = l.clone();
                let late = tg2.spawn(async move {
                    l2.push("late child ran");
                    Ok::<_, BoxError>(())
                });
                drop(late);
                l.push("cleanup spawned a late child");
            }));
            tg.start_soon(fail_after(1, "boom"));
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["boom"]);
        assert_eq!(log.take(), ["cleanup spawned a late child"]);
    });
}

#[test]
fn dropping_the_task_group_future_cancels_every_child() {
    paused().block_on(async {
        let drops = DropCounter::new();
        let d = drops.clone();
        let r = evloop::timeout(
            secs(1),
            evloop::task_group(|tg| async move {
                for _ in 0..4 {
                    tg.start_soon(d.wrap(evloop::sleep(secs(3600))).map_ok());
                }
                evloop::sleep(secs(3600)).await;
                Ok::<_, BoxError>(())
            }),
        )
        .await;
        assert!(r.is_err());
        evloop::yield_now().await; // cancellation drops them at the loop's next opportunity
        assert_eq!(drops.get(), 4);
        assert_eq!(evloop::monitor::stats().timers_pending, 0);
    });
}

#[test]
fn nested_groups_nest_their_errors() {
    paused().block_on(async {
        let err = evloop::task_group(|tg| async move {
            tg.start_soon(async {
                evloop::task_group(|inner| async move {
                    inner.start_soon(fail_after(1, "inner a"));
                    inner.start_soon(fail_after(1, "inner b"));
                    Ok::<_, BoxError>(())
                })
                .await
            });
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        assert_eq!(err.len(), 1);
        let nested = err.iter().next().unwrap().downcast_ref::<ErrorGroup>().unwrap();
        assert_eq!(messages(nested), ["inner a", "inner b"]);
    });
}

#[test]
fn named_children_and_debug() {
    paused().block_on(async {
        evloop::task_group(|tg| async move {
            let t = tg.spawn_named("worker", fetch("w", 1));
            assert_eq!(t.name(), "worker");
            let dbg = format!("{tg:?}");
            assert!(dbg.contains("children: 1"), "{dbg}");
            assert!(tg.is_running());
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
    });
}

// CPython gh-128550: once a child fails, a sibling already queued to run is
// cancelled before it is polled again, not after.
#[test]
fn a_failure_cancels_runnable_siblings_before_their_next_poll() {
    paused().block_on(async {
        let log = Log::new();
        let l = log.clone();
        let err = evloop::task_group(|tg| async move {
            let tg2 = tg.clone();
            tg.start_soon(async move {
                tg2.start_soon(async { Err::<(), _>("third task failed") });
                evloop::yield_now().await; // the new sibling fails meanwhile
                evloop::yield_now().await; // cancelled here, before this poll
                l.push("resumed after the failure");
                Ok::<_, BoxError>(())
            });
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["third task failed"]);
        assert!(log.take().is_empty());
    });
}

#[test]
fn nested_groups_failing_together_keep_the_inner_error() {
    paused().block_on(async {
        let err = evloop::task_group(|outer| async move {
            evloop::task_group(|inner| async move {
                inner.start_soon(async { Err::<(), _>("inner error") });
                outer.start_soon(async { Err::<(), _>("outer error") });
                evloop::sleep(secs(1)).await;
                Ok::<_, BoxError>(())
            })
            .await?;
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        // The outer group dropped its body, and the inner group with it; the
        // inner group's error still reaches the caller, nested.
        assert_eq!(
            messages(&err),
            ["outer error", "1 error in task group:\n  - inner error"]
        );
    });
}
