//! select!: the first branch wins, the losers are dropped, branches are
//! polled in the order written, futures are evaluated once before any poll.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use evloop::sync::{channel, Event};
use evloop_test_support::{paused, DropCounter, Log};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A future that logs each poll under `name` and is ready on its first poll
/// when `ready` is true, never otherwise.
fn probe(log: &Log, name: &'static str, ready: bool) -> impl Future<Output = &'static str> {
    let log = log.clone();
    poll_fn(move |_| {
        log.push(format!("poll {name}"));
        if ready {
            Poll::Ready(name)
        } else {
            Poll::Pending
        }
    })
}

#[test]
fn the_first_to_finish_wins_and_the_losers_are_dropped_before_its_body() {
    paused().block_on(async {
        let losers = DropCounter::new();
        let start = evloop::time();
        let winner = evloop::select! {
            _ = losers.wrap(evloop::sleep(secs(3))) => "three",
            n = async { evloop::sleep(secs(1)).await; 1 } => {
                assert_eq!(losers.get(), 2, "the losers are gone when the body runs");
                if n == 1 { "one" } else { "?" }
            }
            _ = losers.wrap(evloop::sleep(secs(2))) => "two",
        };
        assert_eq!(winner, "one");
        assert_eq!(evloop::time() - start, secs(1));
        // The losers' timers went with them: nothing wakes them later.
        evloop::sleep(secs(10)).await;
        assert_eq!(losers.get(), 2, "each loser was dropped exactly once");
    });
}

#[test]
fn branches_are_polled_in_the_order_written_and_the_first_ready_wins() {
    paused().block_on(async {
        let log = Log::new();
        let winner = evloop::select! {
            a = probe(&log, "a", false) => a,
            b = probe(&log, "b", true) => b,
            c = probe(&log, "c", true) => c,
        };
        assert_eq!(winner, "b", "biased: b is before c");
        assert_eq!(log.take(), ["poll a", "poll b"], "c is never polled");

        // Two sleeps due at the same instant: the one written first wins, always.
        for _ in 0..10 {
            let first = evloop::select! {
                _ = evloop::sleep(secs(1)) => 1,
                _ = evloop::sleep(secs(1)) => 2,
            };
            assert_eq!(first, 1);
        }
    });
}

#[test]
fn every_future_is_evaluated_once_in_order_before_any_poll() {
    paused().block_on(async {
        let log = Log::new();
        let make = |name: &'static str, ready: bool| {
            log.push(format!("make {name}"));
            probe(&log, name, ready)
        };
        let got = evloop::select! {
            x = make("x", false) => x,
            y = make("y", false) => y,
            z = make("z", true) => z,
        };
        assert_eq!(got, "z");
        assert_eq!(log.take(), ["make x", "make y", "make z", "poll x", "poll y", "poll z"]);
    });
}

#[test]
fn losers_that_hold_resources_release_them() {
    paused().block_on(async {
        // A losing recv() takes nothing with it.
        let (tx, mut rx) = channel::unbounded::<u32>();
        let stop = Event::new();
        let got = evloop::select! {
            _ = evloop::sleep(secs(1)) => None,
            v = rx.recv() => v,
        };
        assert_eq!(got, None, "the timer came first");
        tx.try_send(7).unwrap();
        // The body may use what a branch future borrowed: the futures are gone.
        let got = evloop::select! {
            () = stop.wait() => None,
            v = rx.recv() => { assert!(rx.is_empty()); v }
        };
        assert_eq!(got, Some(7));
    });
}

#[test]
fn a_single_branch_patterns_and_control_flow() {
    paused().block_on(async {
        let one = evloop::select! { v = async { 5 } => v * 2 };
        assert_eq!(one, 10);

        let (a, b) = evloop::select! {
            (a, b) = async { (1, "b") } => (a + 1, b),
            _ = evloop::sleep(secs(1)) => unreachable!(),
        };
        assert_eq!((a, b), (2, "b"));

        // `?` and `return` in a body leave the enclosing async block.
        let tried = async {
            evloop::select! {
                r = async { Err::<u8, &str>("refused") } => r?,
                _ = evloop::sleep(secs(1)) => 0,
            };
            Ok::<_, &str>(())
        }
        .await;
        assert_eq!(tried, Err("refused"));

        let mut rounds = 0;
        loop {
            rounds += 1;
            evloop::select! {
                _ = evloop::sleep(secs(1)) => if rounds == 3 { break },
                _ = std::future::pending::<()>() => {},
            }
        }
        assert_eq!(rounds, 3);
    });
}

#[test]
fn accept_or_shutdown() {
    evloop::run(async {
        let listener = evloop::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Rc::new(Event::new());
        let accepted = Rc::new(Cell::new(0));
        let server = {
            let (shutdown, accepted) = (shutdown.clone(), accepted.clone());
            evloop::spawn(async move {
                loop {
                    evloop::select! {
                        () = shutdown.wait() => break,
                        conn = listener.accept() => {
                            conn.unwrap();
                            accepted.set(accepted.get() + 1);
                        }
                    }
                }
                listener
            })
        };
        for _ in 0..3 {
            let _client = evloop::net::TcpStream::connect(addr).await.unwrap();
            while accepted.get() == 0 {
                evloop::yield_now().await;
            }
            accepted.set(accepted.get() - 1);
        }
        shutdown.set();
        let listener = server.await.unwrap();
        assert_eq!(
            listener.local_addr().unwrap(),
            addr,
            "the loop ended and gave the listener back"
        );
    });
}
