//! CPython's `Lib/test/test_asyncio/test_queues.py`, translated: Queue,
//! LifoQueue, PriorityQueue, `task_done` / `join`, and 3.13's `shutdown`.
//!
//! Source: python/cpython, `Lib/test/test_asyncio/test_queues.py` as on the
//! 3.13 branch (the version whose shutdown tests end with
//! `test_shutdown_immediate_with_unfinished`). One Rust test per Python
//! test, with the same name; a class's tests share a module named after the
//! class, and the mixins' tests are stamped out once per queue type, as the
//! Python subclasses do.
//!
//! How the translation reads: `await asyncio.sleep(0)` is
//! `yield_now().await`; `task.cancel()` drops the task's future, so a caught
//! `CancelledError` is a cancelled `TaskError` on the handle;
//! `asyncio.QueueEmpty` / `QueueFull` / `QueueShutDown` / `ValueError` are
//! `GetError::Empty`, `PutError::Full`, the `ShutDown` errors and
//! `TaskDoneError`.
//!
//! Skipped, with no meaning in Rust:
//! * `test_repr`, `test_str`, `test_format` (both mixins): `repr` / `_format`.
//! * `test_generic_alias`: `Queue[int]` typing.
//! * `test_float_maxsize`: a float `maxsize` cannot be written (`usize`).
//! * `test_get_with_putters`: pushes a fake future into the private
//!   `_putters` list.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{Event, GetError, LifoQueue, PriorityQueue, PutError, Queue};
use evloop::{spawn, yield_now, BoxError};

mod queue_basic_tests {
    use super::*;

    #[evloop::test]
    async fn test_empty() {
        let q = Queue::new(0);
        assert!(q.is_empty());
        q.put(1).await.unwrap();
        assert!(!q.is_empty());
        assert_eq!(q.get().await.unwrap(), 1);
        assert!(q.is_empty());
    }

    #[evloop::test]
    async fn test_full() {
        let q = Queue::<i32>::new(0);
        assert!(!q.is_full());
        let q = Queue::new(1);
        q.put(1).await.unwrap();
        assert!(q.is_full());
    }

    #[evloop::test]
    async fn test_order() {
        let q = Queue::new(0);
        for i in [1, 3, 2] {
            q.put(i).await.unwrap();
        }
        let mut items = Vec::new();
        for _ in 0..3 {
            items.push(q.get().await.unwrap());
        }
        assert_eq!(items, [1, 3, 2]);
    }

    #[evloop::test]
    async fn test_maxsize() {
        let q = Rc::new(Queue::new(2));
        assert_eq!(q.maxsize(), 2);
        let have_been_put = Rc::new(RefCell::new(Vec::new()));
        let (q2, put) = (q.clone(), have_been_put.clone());
        let t = spawn(async move {
            for i in 0..3 {
                q2.put(i).await.unwrap();
                put.borrow_mut().push(i);
            }
            true
        });
        for _ in 0..2 {
            yield_now().await;
        }
        // The putter is blocked after putting two items.
        assert_eq!(*have_been_put.borrow(), [0, 1]);
        assert_eq!(q.get().await.unwrap(), 0);
        // Let the putter resume and put the last item.
        yield_now().await;
        assert_eq!(*have_been_put.borrow(), [0, 1, 2]);
        assert_eq!(q.get().await.unwrap(), 1);
        assert_eq!(q.get().await.unwrap(), 2);
        assert!(t.is_finished());
        assert!(t.await.unwrap());
    }
}

mod queue_get_tests {
    use super::*;

    #[evloop::test]
    async fn test_blocking_get() {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get().await.unwrap(), 1);
    }

    #[evloop::test]
    async fn test_blocking_get_wait() {
        let q = Rc::new(Queue::new(0));
        let started = Rc::new(Event::new());
        let finished = Rc::new(Cell::new(false));
        let (q2, s, f) = (q.clone(), started.clone(), finished.clone());
        let queue_get_task = spawn(async move {
            s.set();
            let res = q2.get().await.unwrap();
            f.set(true);
            res
        });
        started.wait().await;
        assert!(!finished.get());
        let q3 = q.clone();
        let _ = evloop::call_later(Duration::from_millis(10), move || q3.put_nowait(1).unwrap());
        let res = queue_get_task.await.unwrap();
        assert!(finished.get());
        assert_eq!(res, 1);
    }

    #[evloop::test]
    async fn test_nonblocking_get() {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait().unwrap(), 1);
    }

    #[evloop::test]
    async fn test_nonblocking_get_exception() {
        let q = Queue::<i32>::new(0);
        assert_eq!(q.get_nowait(), Err(GetError::Empty));
    }

    #[evloop::test]
    async fn test_get_cancelled_race() {
        let q = Rc::new(Queue::new(0));
        let get = || {
            let q = q.clone();
            spawn(async move { q.get().await.unwrap() })
        };
        let t1 = get();
        let t2 = get();
        yield_now().await;
        t1.cancel();
        yield_now().await;
        assert!(t1.is_finished());
        q.put("a").await.unwrap();
        yield_now().await;
        assert_eq!(t2.await.unwrap(), "a");
    }

    #[evloop::test]
    async fn test_get_with_waiting_putters() {
        let q = Rc::new(Queue::new(1));
        let (qa, qb) = (q.clone(), q.clone());
        let _a = spawn(async move { qa.put("a").await.unwrap() });
        let _b = spawn(async move { qb.put("b").await.unwrap() });
        assert_eq!(q.get().await.unwrap(), "a");
        assert_eq!(q.get().await.unwrap(), "b");
    }

    #[evloop::test]
    async fn test_why_are_getters_waiting() {
        let q = Rc::new(Queue::new(1));
        let producer_num_items = 5;
        let (qp, qc) = (q.clone(), q.clone());
        evloop::task_group(|tg| async move {
            tg.start_soon(async move {
                for i in 0..producer_num_items {
                    qp.put(i).await.unwrap();
                }
                Ok::<_, BoxError>(())
            });
            tg.start_soon(async move {
                for _ in 0..producer_num_items {
                    qc.get().await.unwrap();
                }
                Ok::<_, BoxError>(())
            });
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
    }

    // asyncio checks its private `_getters` list; here, that the timed-out
    // getter left nothing behind that would take the next item.
    #[evloop::test]
    async fn test_cancelled_getters_not_being_held_in_self_getters() {
        let queue = Queue::new(5);
        assert!(evloop::timeout(Duration::from_millis(100), queue.get()).await.is_err());
        queue.put_nowait(1).unwrap();
        assert_eq!(queue.get_nowait(), Ok(1));
    }
}

mod queue_put_tests {
    use super::*;

    #[evloop::test]
    async fn test_blocking_put() {
        let q = Queue::new(0);
        // No maxsize: does not block.
        q.put(1).await.unwrap();
        assert_eq!(q.get().await.unwrap(), 1);
    }

    #[evloop::test]
    async fn test_blocking_put_wait() {
        let q = Rc::new(Queue::new(1));
        let started = Rc::new(Event::new());
        let finished = Rc::new(Cell::new(false));
        let q3 = q.clone();
        let _ = evloop::call_later(Duration::from_millis(10), move || {
            q3.get_nowait().unwrap();
        });
        let (q2, s, f) = (q.clone(), started.clone(), finished.clone());
        let queue_put_task = spawn(async move {
            s.set();
            q2.put(1).await.unwrap();
            q2.put(2).await.unwrap();
            f.set(true);
        });
        started.wait().await;
        assert!(!finished.get());
        queue_put_task.await.unwrap();
        assert!(finished.get());
    }

    #[evloop::test]
    async fn test_nonblocking_put() {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait().unwrap(), 1);
    }

    #[evloop::test]
    async fn test_get_cancel_drop_one_pending_reader() {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        let reader = spawn(async move { q2.get().await.unwrap() });
        yield_now().await;
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        reader.cancel();
        let result = match reader.await {
            Ok(v) => v,
            Err(e) => {
                assert!(e.is_cancelled());
                // try again
                let q2 = q.clone();
                spawn(async move { q2.get().await.unwrap() }).await.unwrap()
            }
        };
        // 2 would mean 1 was dropped.
        assert_eq!(result, 1);
    }

    #[evloop::test]
    async fn test_get_cancel_drop_many_pending_readers() {
        let q = Rc::new(Queue::new(0));
        let reader = || {
            let q = q.clone();
            spawn(async move { q.get().await.unwrap() })
        };
        let reader1 = reader();
        let reader2 = reader();
        let reader3 = reader();
        yield_now().await;
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        reader1.cancel();
        assert!(reader1.await.unwrap_err().is_cancelled());
        let r3 = reader3.await.unwrap();
        let r2 = reader2.await.unwrap();
        // The order concurrent readers get their values in is not defined.
        let mut got = [r2, r3];
        got.sort();
        assert_eq!(got, [1, 2]);
    }

    #[evloop::test]
    async fn test_put_cancel_drop() {
        let q = Rc::new(Queue::new(1));
        q.put_nowait(1).unwrap();
        // Putting a second item has to wait (maxsize 1).
        let q2 = q.clone();
        let writer = spawn(async move { q2.put(2).await.unwrap() });
        yield_now().await;
        assert_eq!(q.get_nowait(), Ok(1));
        writer.cancel();
        if let Err(e) = writer.await {
            assert!(e.is_cancelled());
            // try again
            let q2 = q.clone();
            spawn(async move { q2.put(2).await.unwrap() }).await.unwrap();
        }
        assert_eq!(q.get_nowait(), Ok(2));
        assert_eq!(q.len(), 0);
    }

    #[evloop::test]
    async fn test_nonblocking_put_exception() {
        let q = Queue::new(1);
        q.put_nowait(1).unwrap();
        assert!(matches!(q.put_nowait(2), Err(PutError::Full(2))));
    }

    #[evloop::test]
    async fn test_put_cancelled() {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        let t = spawn(async move {
            q2.put(1).await.unwrap();
            true
        });
        assert_eq!(q.get().await.unwrap(), 1);
        assert!(t.is_finished());
        assert!(t.await.unwrap());
    }

    #[evloop::test]
    async fn test_put_cancelled_race() {
        let q = Rc::new(Queue::new(1));
        let put = |item| {
            let q = q.clone();
            spawn(async move { q.put(item).await.unwrap() })
        };
        let put_a = put("a");
        let put_b = put("b");
        let put_c = put("X");
        yield_now().await;
        assert!(put_a.is_finished());
        assert!(!put_b.is_finished());

        put_c.cancel();
        yield_now().await;
        assert!(put_c.is_finished());
        assert_eq!(q.get_nowait(), Ok("a"));
        yield_now().await;
        assert_eq!(q.get_nowait(), Ok("b"));
        put_b.await.unwrap();
    }

    #[evloop::test]
    async fn test_put_with_waiting_getters() {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        let t = spawn(async move { q2.get().await.unwrap() });
        yield_now().await;
        q.put("a").await.unwrap();
        assert_eq!(t.await.unwrap(), "a");
    }

    #[evloop::test]
    async fn test_why_are_putters_waiting() {
        let queue = Rc::new(Queue::new(2));
        let q = queue.clone();
        evloop::task_group(|tg| async move {
            let qg = q.clone();
            tg.start_soon(async move {
                yield_now().await;
                let num = qg.len();
                for _ in 0..num {
                    qg.get_nowait().unwrap();
                }
                Ok::<_, BoxError>(())
            });
            for item in 0..4 {
                let q = q.clone();
                tg.start_soon(async move {
                    q.put(item).await.unwrap();
                    Ok::<_, BoxError>(())
                });
            }
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap();
    }

    // asyncio checks its private `_putters` list; here, that the cancelled
    // putter's item never arrives and takes no room.
    #[evloop::test]
    async fn test_cancelled_puts_not_being_held_in_self_putters() {
        let queue = Rc::new(Queue::new(1));
        queue.put_nowait(1).unwrap();
        let q = queue.clone();
        let put_task = spawn(async move { q.put(2).await.unwrap() });
        yield_now().await;
        put_task.cancel();
        assert!(put_task.await.unwrap_err().is_cancelled());
        assert_eq!(queue.get_nowait(), Ok(1));
        assert_eq!(queue.get_nowait(), Err(GetError::Empty));
        queue.put_nowait(3).unwrap();
    }

    #[evloop::test]
    async fn test_cancelled_put_silence_value_error_exception() {
        let queue = Rc::new(Queue::new(1));
        queue.put_nowait(1).unwrap();
        let q = queue.clone();
        let put_task = spawn(async move { q.put(1).await.unwrap() });
        yield_now().await;
        // get_nowait() makes room and wakes the putter; it is cancelled
        // before it runs.
        queue.get_nowait().unwrap();
        put_task.cancel();
        assert!(put_task.await.unwrap_err().is_cancelled());
    }
}

mod lifo_queue_tests {
    use super::*;

    #[evloop::test]
    async fn test_order() {
        let q = LifoQueue::new(0);
        for i in [1, 3, 2] {
            q.put(i).await.unwrap();
        }
        let mut items = Vec::new();
        for _ in 0..3 {
            items.push(q.get().await.unwrap());
        }
        assert_eq!(items, [2, 3, 1]);
    }
}

mod priority_queue_tests {
    use super::*;

    #[evloop::test]
    async fn test_order() {
        let q = PriorityQueue::new(0);
        for i in [1, 3, 2] {
            q.put(i).await.unwrap();
        }
        let mut items = Vec::new();
        for _ in 0..3 {
            items.push(q.get().await.unwrap());
        }
        assert_eq!(items, [1, 2, 3]);
    }
}

/// `_QueueJoinTestMixin`, once per queue type.
macro_rules! join_tests {
    ($module:ident, $queue:ident) => {
        mod $module {
            use super::*;

            #[evloop::test]
            async fn test_task_done_underflow() {
                let q = $queue::<i32>::new(0);
                assert!(q.task_done().is_err());
            }

            #[evloop::test]
            async fn test_task_done() {
                let q = Rc::new($queue::new(0));
                for i in 0..100 {
                    q.put_nowait(i).unwrap();
                }
                let accumulator = Rc::new(Cell::new(0));
                let running = Rc::new(Cell::new(true));
                // Two workers get items and call task_done after each; join()
                // returns once all were processed.
                let (q2, acc, run) = (q.clone(), accumulator.clone(), running.clone());
                evloop::task_group(|tg| async move {
                    for _ in 0..2 {
                        let (q, acc, run) = (q2.clone(), acc.clone(), run.clone());
                        tg.start_soon(async move {
                            while run.get() {
                                let item = q.get().await.unwrap();
                                acc.set(acc.get() + item);
                                q.task_done().unwrap();
                            }
                            Ok::<_, BoxError>(())
                        });
                    }
                    q2.join().await;
                    assert_eq!(acc.get(), (0..100).sum::<i32>());
                    // Stop the workers.
                    run.set(false);
                    for _ in 0..2 {
                        q2.put_nowait(0).unwrap();
                    }
                    Ok::<_, BoxError>(())
                })
                .await
                .unwrap();
                assert_eq!(accumulator.get(), (0..100).sum::<i32>());
            }

            #[evloop::test]
            async fn test_join_empty_queue() {
                let q = $queue::<i32>::new(0);
                // join() returns at once (twice, for insurance).
                q.join().await;
                q.join().await;
            }
        }
    };
}

join_tests!(queue_join_tests, Queue);
join_tests!(lifo_queue_join_tests, LifoQueue);
join_tests!(priority_queue_join_tests, PriorityQueue);

/// `_QueueShutdownTestMixin`, once per queue type.
macro_rules! shutdown_tests {
    ($module:ident, $queue:ident) => {
        mod $module {
            use super::*;

            /// put, put_nowait, get and get_nowait all fail with ShutDown.
            async fn assert_all_shut_down(q: &$queue<&'static str>) {
                assert!(q.put("data").await.is_err());
                assert!(matches!(q.put_nowait("data"), Err(PutError::ShutDown("data"))));
                assert!(q.get().await.is_err());
                assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
            }

            #[evloop::test]
            async fn test_shutdown_empty() {
                let q = Rc::new($queue::<&'static str>::new(0));
                let q2 = q.clone();
                let get_task = spawn(async move { q2.get().await });
                yield_now().await; // the get task waits before the shutdown
                q.shutdown(false); // unfinished tasks: 0 -> 0
                assert_eq!(q.len(), 0);
                q.join().await;
                yield_now().await;
                assert!(get_task.is_finished());
                assert!(get_task.await.unwrap().is_err(), "get raised ShutDown");
                assert_all_shut_down(&q).await;
            }

            #[evloop::test]
            async fn test_shutdown_nonempty() {
                let q = Rc::new($queue::<&'static str>::new(1));
                q.put_nowait("data").unwrap();
                let q2 = q.clone();
                let join_task = spawn(async move { q2.join().await });
                let q2 = q.clone();
                let put_task = spawn(async move { q2.put("data2").await });
                yield_now().await;
                assert!(!put_task.is_finished());

                q.shutdown(false); // unfinished tasks: 1 -> 1
                assert_eq!(q.len(), 1);
                yield_now().await;
                assert!(put_task.is_finished());
                assert!(put_task.await.unwrap().is_err(), "put raised ShutDown");

                // The queued item can still be had.
                assert_eq!(q.get().await.unwrap(), "data");
                yield_now().await;
                assert!(!join_task.is_finished());
                assert_all_shut_down(&q).await;

                // One unfinished task: task_done lets join() return.
                q.task_done().unwrap();
                yield_now().await;
                assert!(join_task.is_finished());
                join_task.await.unwrap();
                assert!(q.task_done().is_err(), "all tasks were already done");
            }

            #[evloop::test]
            async fn test_shutdown_immediate() {
                let q = Rc::new($queue::<&'static str>::new(0));
                q.put_nowait("data").unwrap();
                let q2 = q.clone();
                let join_task = spawn(async move { q2.join().await });
                q.shutdown(true); // unfinished tasks: 1 -> 0
                assert_eq!(q.len(), 0);
                yield_now().await;
                assert!(join_task.is_finished());
                join_task.await.unwrap();
                assert_all_shut_down(&q).await;
                assert!(q.task_done().is_err(), "no unfinished tasks");
            }

            #[evloop::test]
            async fn test_shutdown_immediate_with_unfinished() {
                let q = Rc::new($queue::<&'static str>::new(0));
                q.put_nowait("data").unwrap();
                q.put_nowait("data").unwrap();
                let q2 = q.clone();
                let join_task = spawn(async move { q2.join().await });
                assert_eq!(q.get().await.unwrap(), "data");
                q.shutdown(true); // unfinished tasks: 2 -> 1
                assert_eq!(q.len(), 0);
                yield_now().await;
                assert!(!join_task.is_finished());
                assert_all_shut_down(&q).await;
                // One unfinished task left.
                q.task_done().unwrap();
                assert!(q.task_done().is_err());
                yield_now().await;
                assert!(join_task.is_finished());
                join_task.await.unwrap();
            }
        }
    };
}

shutdown_tests!(queue_shutdown_tests, Queue);
shutdown_tests!(lifo_queue_shutdown_tests, LifoQueue);
shutdown_tests!(priority_queue_shutdown_tests, PriorityQueue);
