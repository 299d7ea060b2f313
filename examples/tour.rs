//! A tour of evloop: every capability, each section printing what it shows,
//! on real loopback sockets, ending with the loop's counters and measurements.
//!
//! `cargo run --release --example tour`

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::reactor::{Direction, IoSource};
use evloop::sync::{
    channel, oneshot, Barrier, BoundedSemaphore, CapacityLimiter, Condition, Event, LifoQueue, Lock, PriorityQueue,
    Queue, RateLimiter, Semaphore,
};

#[derive(Debug)]
struct ValidationError(u32);
impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is a multiple of 3", self.0)
    }
}
impl std::error::Error for ValidationError {}

#[derive(Debug)]
struct NetworkError(u32);
impl std::fmt::Display for NetworkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is a multiple of 5", self.0)
    }
}
impl std::error::Error for NetworkError {}

/// The seeds' `might_fail`. The children all finish in the same tick, so
/// every failure lands in the group before the first one cancels the rest.
async fn might_fail(n: u32) -> Result<u32, evloop::BoxError> {
    evloop::sleep(Duration::from_millis(10)).await;
    if n % 3 == 0 {
        Err(Box::new(ValidationError(n)))
    } else if n % 5 == 0 {
        Err(Box::new(NetworkError(n)))
    } else {
        Ok(n)
    }
}

fn section(title: &str) {
    println!("\n== {title}");
}

async fn say_after(delay: Duration, what: &'static str) -> &'static str {
    evloop::sleep(delay).await;
    what
}

fn main() {
    let started = Instant::now();
    let lp = evloop::EventLoop::builder()
        .slow_poll_threshold(Duration::from_millis(40))
        .measure(true)
        .on_slow_poll(|slow| println!("  slow poll: {slow}"))
        .build()
        .expect("an event loop");
    lp.block_on(async {
        section("tasks run concurrently (asyncio.create_task)");
        let t0 = evloop::time();
        let hello = evloop::spawn_named("hello", say_after(Duration::from_millis(300), "hello"));
        let world = evloop::spawn_named("world", say_after(Duration::from_millis(200), "world"));
        println!("  spawned {} and {}; neither has run yet", hello.name(), world.name());
        let (a, b) = (hello.await.unwrap(), world.await.unwrap());
        println!(
            "  {a} {b} after {:?} (the sleeps overlapped: 300 ms, not 500)",
            evloop::time() - t0
        );

        section("cancellation is a drop; on_cancel runs the cleanup");
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let worker = evloop::spawn(evloop::on_cancel(
            async {
                evloop::sleep(Duration::from_secs(3600)).await;
            },
            move || l.borrow_mut().push("cleanup ran"),
        ));
        evloop::sleep(Duration::from_millis(10)).await;
        worker.cancel();
        let err = worker.await.unwrap_err();
        println!("  awaiting the cancelled task: {err}; {:?}", log.borrow());

        section("timeouts (asyncio.wait_for / asyncio.timeout)");
        let slow = evloop::timeout(Duration::from_millis(50), say_after(Duration::from_secs(10), "slow"));
        println!("  slow call with a 50 ms budget: {:?}", slow.await);
        let quick = evloop::timeout(Duration::from_millis(50), say_after(Duration::from_millis(5), "quick"));
        println!("  quick call with a 50 ms budget: {:?}", quick.await);
        let deadline = evloop::time() + Duration::from_millis(100);
        let scoped = evloop::timeout_scope(Some(deadline), |scope| async move {
            scope.reschedule(Some(deadline + Duration::from_millis(100)));
            say_after(Duration::from_millis(150), "finished inside an extended scope").await
        })
        .await;
        println!("  {scoped:?}");

        section("callbacks (call_soon / call_later) and the clock");
        let order = Rc::new(RefCell::new(Vec::new()));
        for (name, ms) in [("third", 30), ("first", 10), ("second", 20)] {
            let order = order.clone();
            evloop::call_later(Duration::from_millis(ms), move || order.borrow_mut().push(name));
        }
        let o = order.clone();
        evloop::call_soon(move || o.borrow_mut().push("soon"));
        let cancelled = evloop::call_later(Duration::from_millis(15), || unreachable!());
        cancelled.cancel();
        evloop::sleep(Duration::from_millis(40)).await;
        println!("  ran in order: {:?}", order.borrow());
        let mut every = evloop::interval(Duration::from_millis(20));
        let first = every.tick().await;
        every.tick().await;
        let third = every.tick().await;
        println!("  interval: 3 ticks spanning {:?}", third - first);

        section("I/O on a real socket pair, through the reactor");
        let (a, b) = mio::net::UnixStream::pair().unwrap();
        let (a, b) = (IoSource::new(a).unwrap(), IoSource::new(b).unwrap());
        let echo = evloop::spawn(async move {
            let mut buf = [0u8; 64];
            let n = b.io(Direction::Read, |mut s| s.read(&mut buf)).await.unwrap();
            b.io(Direction::Write, |mut s| s.write(&buf[..n])).await.unwrap();
        });
        a.io(Direction::Write, |mut s| s.write(b"ping over a socket"))
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = a.io(Direction::Read, |mut s| s.read(&mut buf)).await.unwrap();
        echo.await.unwrap();
        println!("  echoed back: {:?}", std::str::from_utf8(&buf[..n]).unwrap());

        section("another thread talks to the loop (LoopHandle)");
        let handle = evloop::handle();
        let from_thread = std::thread::spawn(move || {
            let remote = handle.spawn(async {
                evloop::sleep(Duration::from_millis(5)).await;
                std::thread::current().name().map(str::to_owned)
            });
            futures_lite::future::block_on(remote).unwrap()
        });
        while !from_thread.is_finished() {
            evloop::sleep(Duration::from_millis(1)).await;
        }
        println!(
            "  a future sent from another thread ran on {:?}",
            from_thread.join().unwrap()
        );

        section("gather, as_completed, TaskGroup with an error group (except*)");
        let t0 = evloop::time();
        let slept = evloop::gather([1u64, 2, 3].map(|n| async move {
            evloop::sleep(Duration::from_millis(100 * n)).await;
            n
        }))
        .await;
        println!(
            "  gather: {slept:?} in {:?} (concurrently: 300 ms, not 600)",
            evloop::time() - t0
        );
        let mut done = evloop::as_completed([30u64, 10, 20].map(|ms| async move {
            evloop::sleep(Duration::from_millis(ms)).await;
            ms
        }));
        let mut order = Vec::new();
        while let Some(ms) = done.next().await {
            order.push(ms);
        }
        println!("  as_completed: {order:?}");
        let result = evloop::task_group(|tg| async move {
            for n in 1..=15 {
                tg.start_soon(might_fail(n));
            }
            Ok::<_, evloop::BoxError>(())
        })
        .await;
        let group = result.unwrap_err();
        println!("  task group failed: {}", group.to_string().replace('\n', " | "));
        let (validation, rest) = group.split::<ValidationError>();
        println!(
            "  except* ValidationError: {validation:?}; the rest: {:?}",
            rest.map(|g| g.iter().map(|e| e.to_string()).collect::<Vec<_>>())
        );

        section("primitives: Lock, Semaphore, Event, Queue with workers");
        let counter = Rc::new(Lock::new(0u32));
        let increments: Vec<_> = (0..100)
            .map(|_| {
                let counter = counter.clone();
                evloop::spawn(async move {
                    let mut n = counter.lock().await;
                    let seen = *n;
                    evloop::sleep(Duration::from_millis(1)).await; // the lock is held across the await
                    *n = seen + 1;
                })
            })
            .collect();
        for t in increments {
            t.await.unwrap();
        }
        println!("  100 tasks incremented under a Lock: {}", *counter.lock().await);
        let limit = Rc::new(Semaphore::new(3));
        let running = Rc::new(std::cell::Cell::new((0u32, 0u32))); // (now, most)
        let limited: Vec<_> = (0..10)
            .map(|_| {
                let (limit, running) = (limit.clone(), running.clone());
                evloop::spawn(async move {
                    let _permit = limit.acquire().await;
                    let (now, most) = running.get();
                    running.set((now + 1, most.max(now + 1)));
                    evloop::sleep(Duration::from_millis(10)).await;
                    let (now, most) = running.get();
                    running.set((now - 1, most));
                })
            })
            .collect();
        for t in limited {
            t.await.unwrap();
        }
        println!("  Semaphore(3) over 10 tasks: at most {} ran at once", running.get().1);
        let ready = Rc::new(Event::new());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let ready = ready.clone();
                evloop::spawn(async move { ready.wait().await })
            })
            .collect();
        evloop::yield_now().await;
        ready.set();
        for w in waiters {
            w.await.unwrap();
        }
        println!("  Event: 3 waiters released by one set()");
        let queue = Rc::new(Queue::new(4));
        let handled = Rc::new(std::cell::Cell::new(0u32));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (queue, handled) = (queue.clone(), handled.clone());
                evloop::spawn(async move {
                    while let Ok(job) = queue.get().await {
                        evloop::sleep(Duration::from_millis(job)).await;
                        handled.set(handled.get() + 1);
                        queue.task_done().unwrap();
                    }
                })
            })
            .collect();
        for job in 0..12u64 {
            queue.put(job % 4).await.unwrap();
        }
        queue.join().await;
        queue.shutdown(false);
        for w in workers {
            w.await.unwrap();
        }
        println!(
            "  Queue(4) with 3 workers: {} jobs done, join() returned, workers shut down",
            handled.get()
        );

        section("more primitives: Condition, Barrier, BoundedSemaphore, LIFO and priority queues, limiters, channels");
        let shared = Rc::new((Lock::new(Vec::<u32>::new()), Condition::new()));
        let consumer = {
            let shared = shared.clone();
            evloop::spawn(async move {
                let (items, changed) = &*shared;
                let items = changed.wait_for(items.lock().await, |v| v.len() >= 3).await;
                items.iter().sum::<u32>()
            })
        };
        for i in 1..=3 {
            shared.0.lock().await.push(i);
            shared.1.notify_all();
            evloop::yield_now().await;
        }
        println!(
            "  Condition: the consumer woke once 3 items were there (sum {})",
            consumer.await.unwrap()
        );
        let barrier = Rc::new(Barrier::new(3));
        let arrivals: Vec<_> = (0..3u64)
            .map(|i| {
                let barrier = barrier.clone();
                evloop::spawn(async move {
                    evloop::sleep(Duration::from_millis(5 * i)).await;
                    barrier.wait().await.unwrap()
                })
            })
            .collect();
        let mut indices = Vec::new();
        for a in arrivals {
            indices.push(a.await.unwrap());
        }
        println!("  Barrier(3): three tasks passed together, arrival indices {indices:?}");
        let bounded = BoundedSemaphore::new(1);
        println!(
            "  BoundedSemaphore(1): a release with no acquire -> {}",
            bounded.release().unwrap_err()
        );
        let (lifo, by_priority) = (LifoQueue::new(0), PriorityQueue::new(0));
        for n in [5, 1, 3] {
            lifo.put_nowait(n).unwrap();
            by_priority.put_nowait(n).unwrap();
        }
        let lifo_order: Vec<i32> = std::iter::from_fn(|| lifo.get_nowait().ok()).collect();
        let priority_order: Vec<i32> = std::iter::from_fn(|| by_priority.get_nowait().ok()).collect();
        println!("  put 5, 1, 3: LifoQueue gives {lifo_order:?}, PriorityQueue gives {priority_order:?}");
        let limiter = CapacityLimiter::new(2);
        let (_a, _b) = (limiter.acquire().await, limiter.acquire().await);
        println!(
            "  CapacityLimiter(2): {} tokens borrowed, a third try_acquire gets one: {}",
            limiter.borrowed_tokens(),
            limiter.try_acquire().is_some()
        );
        let rate = RateLimiter::new(5, Duration::from_millis(100));
        let window_start = evloop::time();
        for _ in 0..10 {
            rate.acquire().await;
        }
        println!(
            "  RateLimiter(5 per 100 ms): the 10th acquisition waited for the next window: {}",
            evloop::time() - window_start >= Duration::from_millis(100)
        );
        let (reply_tx, reply_rx) = oneshot::channel();
        let (items_tx, mut items_rx) = channel::bounded(2);
        let producer = evloop::spawn(async move {
            for n in 1..=5u32 {
                items_tx.send(n).await.unwrap(); // waits while two items are unread
            }
            reply_tx.send("producer done").unwrap();
        });
        let mut received = Vec::new();
        while let Some(n) = items_rx.recv().await {
            received.push(n);
        }
        producer.await.unwrap();
        println!(
            "  channel::bounded(2) carried {received:?}; oneshot: {:?}",
            reply_rx.await.unwrap()
        );

        section("a TCP echo server with five clients, on loopback");
        let listener = evloop::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = evloop::spawn_named("echo-server", async move {
            for _ in 0..5 {
                let (conn, _) = listener.accept().await.unwrap();
                drop(evloop::spawn_named("echo-conn", async move {
                    let mut buf = [0u8; 256];
                    loop {
                        let n = conn.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        conn.write_all(&buf[..n]).await.unwrap();
                    }
                }));
            }
        });
        let clients: Vec<_> = (0..5)
            .map(|i| {
                evloop::spawn(async move {
                    let conn = evloop::net::TcpStream::connect(addr).await.unwrap();
                    let msg = format!("hello from client {i}");
                    conn.write_all(msg.as_bytes()).await.unwrap();
                    let mut back = vec![0u8; msg.len()];
                    conn.read_exact(&mut back).await.unwrap();
                    back == msg.as_bytes()
                })
            })
            .collect();
        let mut echoed = 0;
        for c in clients {
            echoed += c.await.unwrap() as u32;
        }
        server.await.unwrap();
        println!("  {echoed}/5 clients got their message echoed by {addr}");

        section("UDP and signals (loop.add_signal_handler)");
        let (a, b) = (
            evloop::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
            evloop::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
        );
        a.send_to(b"datagram", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        println!("  UDP: {:?} arrived from {from}", String::from_utf8_lossy(&buf[..n]));
        let mut user1 = evloop::signal::signal(evloop::signal::SignalKind::User1).unwrap();
        signal_hook::low_level::raise(signal_hook::consts::SIGUSR1).unwrap();
        user1.recv().await.unwrap();
        println!("  SIGUSR1 raised by the process arrived as an await, on the loop thread");

        section("blocking work on a thread (to_thread), the loop stays responsive");
        let t0 = evloop::time();
        let blocking = evloop::to_thread(|| {
            std::thread::sleep(Duration::from_millis(50)); // blocking, but not on the loop
            std::thread::current().name().map(str::to_owned)
        });
        let mut ticks = 0;
        let ticker = evloop::spawn(async move {
            let mut every = evloop::interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                ticks += 1;
                if ticks == 4 {
                    return ticks;
                }
            }
        });
        let thread = blocking.await.unwrap();
        println!(
            "  ran on {thread:?} for {:?}; the loop ticked {} times meanwhile",
            evloop::time() - t0,
            ticker.await.unwrap()
        );

        section("a hundred thousand tasks");
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..100_000u64).map(|i| evloop::spawn(async move { i })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        println!("  spawned and joined 100,000 tasks (sum {sum}) in {:?}", t0.elapsed());

        section("the monitor: a slow poll, lag, a task dump");
        let lag = evloop::monitor::lag_monitor(Duration::from_millis(10), Duration::from_millis(20), |lag| {
            println!("  lag monitor: the loop was {:.0} ms late", lag.as_secs_f64() * 1000.0)
        });
        evloop::sleep(Duration::from_millis(15)).await;
        evloop::spawn_named("blocker", async { std::thread::sleep(Duration::from_millis(60)) })
            .await
            .unwrap();
        evloop::sleep(Duration::from_millis(15)).await;
        let _idle = evloop::spawn_named("idle-sleeper", evloop::sleep(Duration::from_secs(60)));
        evloop::yield_now().await;
        for line in evloop::monitor::dump_tasks().lines() {
            println!("  {line}");
        }
        lag.cancel();

        section("loop stats");
        for line in evloop::monitor::stats().to_string().lines() {
            println!("  {line}");
        }
    });
    lp.close();

    section("the stall watchdog: a loop stuck right now, with its stack");
    // The mistake: the main task waits, on the loop's own thread, for an
    // answer only a task of this loop can send. Unbounded it would hang
    // silently; the watchdog reports it while it is stuck (bounded here).
    let report = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = report.clone();
    let lp = evloop::EventLoop::builder()
        .stall_threshold(Duration::from_millis(100))
        .on_stall(move |stall| {
            let mut lines = lines.lock().unwrap();
            lines.push(stall.to_string().lines().next().unwrap_or_default().to_string());
            // The frames of this program: the line that blocks is among them.
            for line in stall.backtrace().unwrap_or_default().lines() {
                if line.contains("tour") {
                    lines.push(format!("  {}", line.trim()));
                }
            }
        })
        .build()
        .unwrap();
    let got = lp.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel();
        let _answer = evloop::spawn(async move { tx.send("answer").unwrap() });
        rx.recv_timeout(Duration::from_millis(400)) // blocks the loop: the task never runs
    });
    drop(lp); // joins the watchdog: its report is complete
    println!("  the blocked wait gave up: {got:?}; meanwhile the watchdog reported:");
    for line in report.lock().unwrap().iter() {
        println!("  {line}");
    }

    section("a paused clock: an hour of virtual time");
    let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
    let t0 = Instant::now();
    let virtual_elapsed = lp.block_on(async {
        let start = evloop::time();
        evloop::sleep(Duration::from_secs(3600)).await;
        evloop::time() - start
    });
    println!(
        "  slept {virtual_elapsed:?} of virtual time in {:?} of real time",
        t0.elapsed()
    );
    shards();
    println!("\ntour finished in {:?}", started.elapsed());
}

/// One loop per core: two shards share a port (SO_REUSEPORT) and send work
/// to each other through their handles.
fn shards() {
    use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    section("one loop per core: shards, SO_REUSEPORT, work sent to another shard");
    let (port, listening, served) = (
        Arc::new(AtomicU16::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let client = std::thread::spawn({
        let (port, listening) = (port.clone(), listening.clone());
        move || {
            while listening.load(SeqCst) < 2 {
                std::thread::sleep(Duration::from_millis(1));
            }
            for _ in 0..20 {
                let mut conn = std::net::TcpStream::connect(("127.0.0.1", port.load(SeqCst))).unwrap();
                conn.read_exact(&mut [0u8]).unwrap(); // answered by one shard or the other
            }
        }
    });
    let per_shard = evloop::shard::run(2, move |me| {
        let (port, listening, served) = (port.clone(), listening.clone(), served.clone());
        async move {
            // Shard 0 binds first; shard 1 binds the same port.
            while me.index() == 1 && port.load(SeqCst) == 0 {
                evloop::sleep(Duration::from_millis(1)).await;
            }
            let listener = evloop::net::TcpListener::bind_reuse_port(("127.0.0.1", port.load(SeqCst))).unwrap();
            port.store(listener.local_addr().unwrap().port(), SeqCst);
            listening.fetch_add(1, SeqCst);
            let mut mine = 0;
            while served.load(SeqCst) < 20 {
                if let Ok(Ok((conn, _))) = evloop::timeout(Duration::from_millis(20), listener.accept()).await {
                    conn.write_all(b"!").await.unwrap();
                    served.fetch_add(1, SeqCst);
                    mine += 1;
                }
            }
            // Work for the other shard runs on its thread, through its handle.
            let other = me.handle(1 - me.index());
            let ran_on = other.spawn_with(|| async { std::thread::current().name().map(str::to_string) });
            (mine, ran_on.await.unwrap())
        }
    });
    client.join().unwrap();
    let counts: Vec<usize> = per_shard.iter().map(|(n, _)| *n).collect();
    println!("  20 connections to one port, spread by the kernel over 2 shards: {counts:?}");
    for (i, (_, ran_on)) in per_shard.iter().enumerate() {
        println!("  shard {i} sent work to shard {}; it ran on {ran_on:?}", 1 - i);
    }
}
