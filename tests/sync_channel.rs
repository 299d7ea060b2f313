//! oneshot and channel on the evloop loop.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{channel, oneshot};
use evloop_test_support::{cancel_randomly, paused, yields};

#[test]
fn oneshot_delivers_once_and_reports_a_dropped_sender() {
    evloop::run(async {
        let (tx, rx) = oneshot::channel();
        let t = evloop::spawn(rx);
        yields(2).await;
        tx.send(42).unwrap();
        assert_eq!(t.await.unwrap(), Ok(42));

        let (tx, rx) = oneshot::channel::<()>();
        let t = evloop::spawn(rx);
        yields(2).await;
        drop(tx);
        assert_eq!(t.await.unwrap(), Err(oneshot::RecvError));

        let (tx, rx) = oneshot::channel();
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send("back"), Err("back"));
    });
}

#[test]
fn channel_closes_when_all_senders_drop_after_draining() {
    evloop::run(async {
        let (tx, mut rx) = channel::bounded(2);
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let tx = tx.clone();
                evloop::spawn(async move {
                    for i in 0..5 {
                        tx.send(p * 10 + i).await.unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        for p in producers {
            p.await.unwrap();
        }
        got.sort();
        let mut expected: Vec<_> = (0..3).flat_map(|p| (0..5).map(move |i| p * 10 + i)).collect();
        expected.sort();
        assert_eq!(got, expected);
    });
}

#[test]
fn dropping_the_receiver_fails_blocked_senders_with_their_value() {
    evloop::run(async {
        let (tx, rx) = channel::bounded(1);
        tx.send(String::from("kept")).await.unwrap();
        let tx2 = tx.clone();
        let blocked = evloop::spawn(async move { tx2.send(String::from("mine")).await });
        yields(2).await;
        drop(rx);
        let err = blocked.await.unwrap().unwrap_err();
        assert_eq!(err.0, "mine");
        assert!(tx.is_closed());
        assert_eq!(tx.send(String::from("late")).await.unwrap_err().into_inner(), "late");
    });
}

#[test]
fn receiver_is_a_stream() {
    use futures::StreamExt;
    evloop::run(async {
        let (tx, rx) = channel::unbounded();
        for i in 0..5 {
            tx.try_send(i).unwrap();
        }
        drop(tx);
        let all: Vec<i32> = rx.collect().await;
        assert_eq!(all, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn cancellation_stress_channel_every_value_accounted() {
    for seed in 0..10 {
        paused().block_on(async move {
            let (tx, mut rx) = channel::bounded::<u64>(4);
            let sent = Rc::new(Cell::new(0u64));
            let received = Rc::new(Cell::new(0u64));
            let r = received.clone();
            let consumer = evloop::spawn(async move {
                while let Some(v) = rx.recv().await {
                    r.set(r.get() + v);
                    evloop::sleep(Duration::from_micros(1)).await;
                }
            });
            let out = cancel_randomly(seed, 1000, 30, 200_000, |i, rng| {
                let (tx, sent) = (tx.clone(), sent.clone());
                let nap = Duration::from_micros(rng.below(20) as u64);
                async move {
                    for k in 0..4u64 {
                        let v = i as u64 * 10 + k + 1;
                        tx.send(v).await.unwrap();
                        sent.set(sent.get() + v);
                        evloop::sleep(nap).await;
                    }
                }
            })
            .await;
            drop(tx);
            consumer.await.unwrap(); // closes once every sender is gone
            assert_eq!(out.stuck, 0, "seed {seed}: a sender was never given its slot");
            assert!(out.cancelled > 100, "{out:?}");
            assert_eq!(sent.get(), received.get(), "seed {seed}");
        });
    }
}

#[test]
fn cancellation_stress_oneshot() {
    paused().block_on(async {
        let delivered = Rc::new(Cell::new(0usize));
        let refused = Rc::new(Cell::new(0usize));
        let out = cancel_randomly(7, 2000, 30, 100_000, |i, rng| {
            let (delivered, refused) = (delivered.clone(), refused.clone());
            let nap = Duration::from_micros(rng.below(20) as u64);
            async move {
                let (tx, rx) = oneshot::channel();
                let recv = evloop::spawn(rx);
                evloop::sleep(nap).await;
                if i % 5 == 0 {
                    recv.cancel();
                    yields(1).await;
                }
                match tx.send(i) {
                    Ok(()) => {
                        assert_eq!(recv.await.unwrap(), Ok(i));
                        delivered.set(delivered.get() + 1);
                    }
                    Err(v) => {
                        assert_eq!(v, i);
                        refused.set(refused.get() + 1);
                    }
                }
            }
        })
        .await;
        assert_eq!(out.stuck, 0);
        assert_eq!(delivered.get() + refused.get() + out.cancelled, 2000);
        assert!(refused.get() > 0);
    });
}

#[test]
fn recv_many_takes_what_is_ready_up_to_the_limit() {
    paused().block_on(async {
        let (tx, mut rx) = channel::unbounded();
        for i in 0..5 {
            tx.try_send(i).unwrap();
        }
        let mut buf = vec![-1];
        assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
        assert_eq!(buf, [-1, 0, 1, 2], "appended, not overwritten");
        assert_eq!(rx.recv_many(&mut buf, 0).await, 0, "a limit of 0 takes nothing");
        assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
        assert_eq!(buf, [-1, 0, 1, 2, 3, 4]);

        // Empty: waits for the first value, then returns what is there.
        let sender = evloop::spawn(async move {
            evloop::sleep(Duration::from_secs(1)).await;
            tx.try_send(5).unwrap();
            tx.try_send(6).unwrap();
            tx // keep the channel open
        });
        buf.clear();
        let start = evloop::time();
        assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
        assert_eq!(evloop::time() - start, Duration::from_secs(1));
        assert_eq!(buf, [5, 6]);

        let tx = sender.await.unwrap();
        tx.try_send(7).unwrap();
        drop(tx);
        buf.clear();
        assert_eq!(
            rx.recv_many(&mut buf, 10).await,
            1,
            "values sent before the close still come"
        );
        assert_eq!(rx.recv_many(&mut buf, 10).await, 0, "closed and drained");
        assert_eq!(buf, [7]);
    });
}

#[test]
fn recv_many_hands_every_freed_slot_to_a_waiting_sender() {
    paused().block_on(async {
        let (tx, mut rx) = channel::bounded(2);
        let senders: Vec<_> = (0..6)
            .map(|i| {
                let tx = tx.clone();
                evloop::spawn(async move { tx.send(i).await.unwrap() })
            })
            .collect();
        drop(tx);
        yields(2).await;
        assert_eq!(rx.len(), 2, "two values in, four senders waiting");
        let mut buf = Vec::new();
        assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
        yields(2).await;
        assert_eq!(rx.len(), 2, "both freed slots went to waiting senders at once");
        while rx.recv_many(&mut buf, 10).await > 0 {}
        assert_eq!(buf, [0, 1, 2, 3, 4, 5], "FIFO among senders");
        for s in senders {
            s.await.unwrap();
        }
    });
}

#[test]
fn cancellation_stress_recv_many_every_value_accounted() {
    for seed in 0..10 {
        paused().block_on(async move {
            let (tx, mut rx) = channel::bounded::<u64>(4);
            let sent = Rc::new(Cell::new(0u64));
            let received = Rc::new(Cell::new(0u64));
            let r = received.clone();
            let consumer = evloop::spawn(async move {
                let mut buf = Vec::new();
                let mut patience = 1;
                loop {
                    // A short timeout cancels many recv_many futures mid-wait.
                    patience = patience % 7 + 1;
                    match evloop::timeout(Duration::from_micros(patience), rx.recv_many(&mut buf, 3)).await {
                        Err(_) => continue,
                        Ok(0) => break,
                        Ok(n) => {
                            assert!(n <= 3);
                            r.set(r.get() + buf.drain(..).sum::<u64>());
                        }
                    }
                }
            });
            let out = cancel_randomly(seed, 500, 30, 200_000, |i, rng| {
                let (tx, sent) = (tx.clone(), sent.clone());
                let nap = Duration::from_micros(rng.below(20) as u64);
                async move {
                    for k in 0..4u64 {
                        let v = i as u64 * 10 + k + 1;
                        tx.send(v).await.unwrap();
                        sent.set(sent.get() + v);
                        evloop::sleep(nap).await;
                    }
                }
            })
            .await;
            drop(tx);
            consumer.await.unwrap();
            assert_eq!(out.stuck, 0, "seed {seed}: a sender was never given its slot");
            assert!(out.cancelled > 50, "{out:?}");
            assert_eq!(sent.get(), received.get(), "seed {seed}");
        });
    }
}
