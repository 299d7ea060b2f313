//! A tour of evloop: every capability that exists so far, each section
//! printing what it shows, ending with the loop's counters.
//!
//! `cargo run --release --example tour`

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::reactor::{Direction, IoSource};

fn section(title: &str) {
    println!("\n== {title}");
}

async fn say_after(delay: Duration, what: &'static str) -> &'static str {
    evloop::sleep(delay).await;
    what
}

fn main() {
    let started = Instant::now();
    evloop::run(async {
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

        section("a hundred thousand tasks");
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..100_000u64).map(|i| evloop::spawn(async move { i })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        println!("  spawned and joined 100,000 tasks (sum {sum}) in {:?}", t0.elapsed());

        section("loop stats");
        println!("  {}", evloop::monitor::stats());
    });

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
    println!("\ntour finished in {:?}", started.elapsed());
}
