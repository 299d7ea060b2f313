//! Tick semantics: work made ready during a tick waits for the next one, and
//! a task that re-wakes itself forever starves neither timers nor sockets.

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

use evloop::reactor::{Direction, IoSource};
use evloop_test_support::{within, Log};

#[test]
fn work_made_ready_during_a_tick_runs_in_the_next_one() {
    evloop::run(async {
        let log = Log::new();
        let l = log.clone();
        let t = evloop::spawn(async move {
            let tick = evloop::monitor::stats().ticks;
            let l2 = l.clone();
            drop(evloop::spawn(async move {
                l2.push(format!(
                    "child ran {} tick(s) later",
                    evloop::monitor::stats().ticks - tick
                ));
            }));
            evloop::yield_now().await;
            l.push(format!(
                "parent resumed {} tick(s) later",
                evloop::monitor::stats().ticks - tick
            ));
        });
        t.await.unwrap();
        assert_eq!(
            log.take(),
            ["child ran 1 tick(s) later", "parent resumed 1 tick(s) later"]
        );
    });
}

/// A future that wakes itself on every poll and never finishes.
async fn spin_forever(polls: Rc<Cell<u64>>) {
    loop {
        polls.set(polls.get() + 1);
        evloop::yield_now().await;
    }
}

#[test]
fn a_self_waking_task_does_not_starve_a_timer() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let polls = Rc::new(Cell::new(0));
            let spinner = evloop::spawn(spin_forever(polls.clone()));
            evloop::sleep(Duration::from_millis(20)).await;
            assert!(polls.get() > 0, "the spinner ran meanwhile");
            spinner.cancel();
        });
    });
}

#[test]
fn a_self_waking_task_does_not_starve_a_socket() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let polls = Rc::new(Cell::new(0));
            let spinner = evloop::spawn(spin_forever(polls.clone()));
            let (a, b) = mio::net::UnixStream::pair().unwrap();
            let (a, b) = (IoSource::new(a).unwrap(), IoSource::new(b).unwrap());
            let reader = evloop::spawn(async move {
                let mut buf = [0u8; 16];
                let n = b.io(Direction::Read, |mut s| s.read(&mut buf)).await.unwrap();
                buf[..n].to_vec()
            });
            evloop::yield_now().await;
            a.io(Direction::Write, |mut s| s.write(b"through")).await.unwrap();
            assert_eq!(reader.await.unwrap(), b"through");
            assert!(polls.get() > 0);
            spinner.cancel();
        });
    });
}

#[test]
fn short_reads_and_would_block_lose_no_wakeups() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let (a, b) = mio::net::UnixStream::pair().unwrap();
            let (a, b) = (IoSource::new(a).unwrap(), IoSource::new(b).unwrap());
            const TOTAL: usize = 1 << 20;
            let reader = evloop::spawn(async move {
                let mut got = Vec::with_capacity(TOTAL);
                let mut buf = [0u8; 777]; // never a multiple of the writes
                loop {
                    let n = b.io(Direction::Read, |mut s| s.read(&mut buf)).await.unwrap();
                    if n == 0 {
                        return got;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
            });
            let data: Vec<u8> = (0..TOTAL).map(|i| (i * 31 % 251) as u8).collect();
            let mut sent = 0;
            while sent < TOTAL {
                sent += a.io(Direction::Write, |mut s| s.write(&data[sent..])).await.unwrap();
            }
            drop(a); // EOF
            let got = reader.await.unwrap();
            assert_eq!(got.len(), TOTAL);
            assert!(got == data, "bytes arrived out of order or corrupted");
            assert!(evloop::monitor::stats().io_events > 0);
        });
    });
}
