//! Embedding evloop in a tokio program: a tokio current-thread runtime owns
//! the thread; evloop's backend fd goes into tokio's reactor with `AsyncFd`,
//! and a tokio task ticks evloop whenever that fd is readable or evloop's
//! next timer is due. Tokio code and evloop tasks share an evloop `Queue`
//! (its wakers are plain `std::task::Waker`s, so it works on any executor),
//! and the tokio side reads evloop's monitor.
//!
//! `cargo run --example embed_in_tokio`
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::Queue;
use tokio::io::unix::AsyncFd;

/// evloop's backend fd for tokio's reactor; holding the loop keeps it open.
struct BackendFd(Rc<evloop::EventLoop>);

impl AsRawFd for BackendFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// The glue: tick evloop when its fd is readable or its next timer is due.
async fn drive(lp: Rc<evloop::EventLoop>) {
    // SAFETY: the fd is the loop's epoll instance, open for as long as the
    // loop lives; `BackendFd` holds the loop, so it outlives the `AsyncFd`,
    // and `as_raw_fd` always returns that same fd.
    let fd = unsafe { AsyncFd::register(BackendFd(lp.clone())) }
        .unwrap_or_else(|e| panic!("register evloop's fd with tokio: {e}"));
    loop {
        lp.run_once(Some(Duration::ZERO));
        let wait = lp
            .next_deadline()
            .map(|at| at.saturating_duration_since(std::time::Instant::now()))
            .unwrap_or(Duration::from_secs(3600));
        if let Ok(Ok(mut guard)) = tokio::time::timeout(wait, fd.readable()).await {
            // The tick consumes what made the fd readable: forget the edge.
            guard.clear_ready();
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let lp = Rc::new(evloop::EventLoop::new().unwrap());
        let queue = Rc::new(Queue::new(8));

        // evloop side: a consumer that takes its time (an evloop timer).
        let q = queue.clone();
        let consumer = lp.spawn_named("consumer", async move {
            let mut sum = 0u64;
            while let Ok(item) = q.get().await {
                evloop::sleep(Duration::from_millis(1)).await;
                sum += item;
                q.task_done().unwrap();
            }
            sum
        });
        let driver = tokio::task::spawn_local(drive(lp.clone()));

        // tokio side: a producer on the same evloop Queue, with backpressure.
        for item in 1..=100u64 {
            queue.put(item).await.unwrap();
        }
        queue.join().await;
        queue.shutdown(false);
        let sum = consumer.await.unwrap();
        println!("evloop consumer summed {sum} (expected 5050) from items a tokio task produced");

        let stats = lp.stats();
        println!(
            "evloop monitor, read from tokio: ticks={} polls={} timers_fired={} tasks_alive={}",
            stats.ticks, stats.polls, stats.timers_fired, stats.tasks_alive
        );
        driver.abort();
        let _ = driver.await;
        Rc::try_unwrap(lp).expect("the driver let go of the loop").close();
        println!("closed");
    });
}
