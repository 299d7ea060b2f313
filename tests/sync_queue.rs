//! Queue, LifoQueue and PriorityQueue on the evloop loop: asyncio edge
//! cases, the worker-pool seed, shutdown, cancellation.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{GetError, LifoQueue, PriorityQueue, PutError, Queue, QueueShutDown, TaskDoneError};
use evloop_test_support::{cancel_randomly, paused, yields, Log};

#[test]
fn put_nowait_on_a_full_queue_hands_the_item_back() {
    let q = Queue::new(2);
    q.put_nowait(String::from("a")).unwrap();
    q.put_nowait(String::from("b")).unwrap();
    match q.put_nowait(String::from("c")) {
        Err(PutError::Full(item)) => assert_eq!(item, "c"),
        other => panic!("expected Full, got {other:?}"),
    }
    assert!(q.is_full());
    assert_eq!(q.len(), 2);
    assert_eq!(q.maxsize(), 2);
}

#[test]
fn task_done_called_too_often_is_an_error() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Err(TaskDoneError));
    assert_eq!(TaskDoneError.to_string(), "task_done() called too many times");
    assert_eq!(q.get_nowait(), Err(GetError::Empty));
}

#[test]
fn priority_queue_pops_the_smallest_and_lifo_the_newest() {
    evloop::run(async {
        let pq = PriorityQueue::new(0);
        for (prio, name) in [(3, "c"), (1, "a"), (5, "e"), (2, "b"), (4, "d")] {
            pq.put((prio, name)).await.unwrap();
        }
        let mut out = Vec::new();
        while let Ok((_, name)) = pq.get_nowait() {
            out.push(name);
        }
        assert_eq!(out, ["a", "b", "c", "d", "e"]);
        let lq = LifoQueue::new(3);
        for i in 0..3 {
            lq.put(i).await.unwrap();
        }
        assert_eq!((lq.get().await, lq.get().await, lq.get().await), (Ok(2), Ok(1), Ok(0)));
    });
}

#[test]
fn shutdown_drains_then_refuses() {
    evloop::run(async {
        let q = Rc::new(Queue::new(2));
        q.put(1).await.unwrap();
        q.put(2).await.unwrap();
        let q2 = q.clone();
        let blocked_putter = evloop::spawn(async move { q2.put(3).await });
        yields(2).await;
        q.shutdown(false);
        assert_eq!(blocked_putter.await.unwrap(), Err(QueueShutDown(3)));
        assert_eq!(q.put(4).await, Err(QueueShutDown(4)));
        assert_eq!(q.put_nowait(5), Err(PutError::ShutDown(5)));
        // Drains what is left ...
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.get_nowait(), Ok(2));
        // ... then refuses.
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
        assert!(q.is_shutdown());
    });
}

#[test]
fn shutdown_immediate_releases_blocked_getters_and_join() {
    evloop::run(async {
        let q = Rc::new(Queue::<u32>::new(0));
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                evloop::spawn(async move { q.get().await })
            })
            .collect();
        yields(2).await;
        let q2 = q.clone();
        // An item that is got but never task_done'd keeps join waiting ...
        q.put_nowait(1).unwrap();
        yields(2).await;
        let joiner = evloop::spawn(async move { q2.join().await });
        yields(2).await;
        // ... while items still queued are discarded and count as done, even
        // those already promised to the two waiting getters.
        q.put_nowait(2).unwrap();
        q.put_nowait(3).unwrap();
        q.shutdown(true);
        assert!(q.is_empty());
        let results: Vec<_> = {
            let mut v = Vec::new();
            for g in getters {
                v.push(g.await.unwrap());
            }
            v
        };
        assert_eq!(results[0], Ok(1));
        assert_eq!(results[1..], [Err(QueueShutDown(())), Err(QueueShutDown(()))]);
        yields(2).await;
        assert!(!joiner.is_finished(), "item 1 was never task_done'd");
        q.task_done().unwrap();
        joiner.await.unwrap();
        assert_eq!(q.get().await, Err(QueueShutDown(())));
    });
}

#[test]
fn seed_worker_pool_with_task_done_and_join() {
    paused().block_on(async {
        let queue: Rc<Queue<Option<u32>>> = Rc::new(Queue::new(100));
        let results = Rc::new(RefCell::new(Vec::new()));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (q, results) = (queue.clone(), results.clone());
                evloop::spawn(async move {
                    loop {
                        let job = q.get().await.unwrap();
                        let Some(id) = job else {
                            q.task_done().unwrap();
                            break;
                        };
                        evloop::sleep(Duration::from_millis(100)).await;
                        results.borrow_mut().push(format!("Processed {id}"));
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        let t0 = evloop::time();
        for id in 0..20 {
            queue.put(Some(id)).await.unwrap();
        }
        queue.join().await;
        assert_eq!(results.borrow().len(), 20);
        // 20 jobs of 100 ms on 3 workers: 7 rounds.
        assert_eq!(evloop::time() - t0, Duration::from_millis(700));
        for _ in 0..3 {
            queue.put(None).await.unwrap();
        }
        for w in workers {
            w.await.unwrap();
        }
        let mut got: Vec<u32> = results.borrow().iter().map(|s| s[10..].parse().unwrap()).collect();
        got.sort();
        assert_eq!(got, (0..20).collect::<Vec<_>>());
        assert_eq!(queue.unfinished_tasks(), 0);
    });
}

#[test]
fn seed_producer_consumer_with_poison_pill() {
    paused().block_on(async {
        let queue: Rc<Queue<Option<String>>> = Rc::new(Queue::new(5));
        let log = Log::new();
        let q = queue.clone();
        let producer = evloop::spawn(async move {
            for i in 0..10 {
                q.put(Some(format!("item-{i}"))).await.unwrap();
                evloop::sleep(Duration::from_millis(500)).await;
            }
            q.put(None).await.unwrap();
        });
        let consumers: Vec<_> = ["Consumer 1", "Consumer 2"]
            .into_iter()
            .map(|name| {
                let (q, log) = (queue.clone(), log.clone());
                evloop::spawn(async move {
                    loop {
                        let Some(item) = q.get().await.unwrap() else {
                            q.put_nowait(None).unwrap(); // propagate
                            break;
                        };
                        log.push(format!("{name} {item}"));
                        evloop::sleep(Duration::from_secs(1)).await;
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        producer.await.unwrap();
        for c in consumers {
            c.await.unwrap();
        }
        let lines = log.take();
        assert_eq!(lines.len(), 10);
        // FIFO getters: item-0 to the first consumer to ask, item-1 to the other.
        assert_eq!(lines[0], "Consumer 1 item-0");
        assert_eq!(lines[1], "Consumer 2 item-1");
    });
}

#[test]
fn cancellation_stress_queues_every_item_accounted() {
    for kind in 0..3 {
        for seed in 0..6 {
            paused().block_on(async move { stress_one(kind, seed).await });
        }
    }
}

enum AnyQueue {
    Fifo(Queue<u64>),
    Lifo(LifoQueue<u64>),
    Prio(PriorityQueue<u64>),
}

impl AnyQueue {
    async fn put(&self, v: u64) -> Result<(), QueueShutDown<u64>> {
        match self {
            AnyQueue::Fifo(q) => q.put(v).await,
            AnyQueue::Lifo(q) => q.put(v).await,
            AnyQueue::Prio(q) => q.put(v).await,
        }
    }
    async fn get(&self) -> Result<u64, QueueShutDown> {
        match self {
            AnyQueue::Fifo(q) => q.get().await,
            AnyQueue::Lifo(q) => q.get().await,
            AnyQueue::Prio(q) => q.get().await,
        }
    }
    fn get_nowait(&self) -> Result<u64, GetError> {
        match self {
            AnyQueue::Fifo(q) => q.get_nowait(),
            AnyQueue::Lifo(q) => q.get_nowait(),
            AnyQueue::Prio(q) => q.get_nowait(),
        }
    }
    fn task_done(&self) -> Result<(), TaskDoneError> {
        match self {
            AnyQueue::Fifo(q) => q.task_done(),
            AnyQueue::Lifo(q) => q.task_done(),
            AnyQueue::Prio(q) => q.task_done(),
        }
    }
    fn unfinished(&self) -> usize {
        match self {
            AnyQueue::Fifo(q) => q.unfinished_tasks(),
            AnyQueue::Lifo(q) => q.unfinished_tasks(),
            AnyQueue::Prio(q) => q.unfinished_tasks(),
        }
    }
    fn shutdown(&self) {
        match self {
            AnyQueue::Fifo(q) => q.shutdown(false),
            AnyQueue::Lifo(q) => q.shutdown(false),
            AnyQueue::Prio(q) => q.shutdown(false),
        }
    }
}

async fn stress_one(kind: usize, seed: u64) {
    let q = Rc::new(match kind {
        0 => AnyQueue::Fifo(Queue::new(8)),
        1 => AnyQueue::Lifo(LifoQueue::new(8)),
        _ => AnyQueue::Prio(PriorityQueue::new(8)),
    });
    let put_sum = Rc::new(Cell::new(0u64));
    let got_sum = Rc::new(Cell::new(0u64));
    let done = Rc::new(Cell::new(0usize));
    let put_count = Rc::new(Cell::new(0usize));
    let out = cancel_randomly(seed, 2000, 30, 200_000, |i, rng| {
        let (q, put_sum, got_sum, done, put_count) = (
            q.clone(),
            put_sum.clone(),
            got_sum.clone(),
            done.clone(),
            put_count.clone(),
        );
        let nap = Duration::from_micros(rng.below(30) as u64);
        async move {
            for k in 0..4u64 {
                if i % 2 == 0 {
                    let v = (i as u64) * 10 + k + 1;
                    q.put(v).await.unwrap();
                    put_sum.set(put_sum.get() + v);
                    put_count.set(put_count.get() + 1);
                } else {
                    let v = q.get().await.unwrap();
                    got_sum.set(got_sum.get() + v);
                    q.task_done().unwrap();
                    done.set(done.get() + 1);
                }
                evloop::sleep(nap).await;
            }
        }
    })
    .await;
    assert!(out.cancelled > 100, "{out:?}");
    q.shutdown();
    let mut left = 0;
    let mut left_count = 0;
    while let Ok(v) = q.get_nowait() {
        left += v;
        left_count += 1;
        q.task_done().unwrap();
    }
    assert_eq!(q.get_nowait(), Err(GetError::ShutDown), "reserved items stranded");
    assert_eq!(
        put_sum.get(),
        got_sum.get() + left,
        "kind {kind} seed {seed}: items lost or duplicated"
    );
    // Every item put was either processed or drained.
    assert_eq!(q.unfinished(), put_count.get() - done.get() - left_count);
    assert!(q.get().await.is_err());
}
