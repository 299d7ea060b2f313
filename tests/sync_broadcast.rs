//! broadcast: every receiver sees every value sent after it subscribed;
//! laggards are told what they missed; nothing is lost to cancellation.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::broadcast::{self, RecvError, SendError, TryRecvError};
use evloop_test_support::{cancel_randomly, paused, yields};

#[test]
fn every_receiver_sees_every_value_in_order() {
    paused().block_on(async {
        let (tx, rx) = broadcast::channel(8);
        let mut receivers = vec![rx, tx.subscribe(), tx.subscribe()];
        assert_eq!(tx.receiver_count(), 3);
        for i in 0..5 {
            assert_eq!(tx.send(i), Ok(3), "reached every receiver");
        }
        for rx in &mut receivers {
            for i in 0..5 {
                assert_eq!(rx.recv().await, Ok(i));
            }
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
        drop(receivers);
        assert_eq!(tx.receiver_count(), 0);
        assert_eq!(tx.send(9), Err(SendError(9)), "no receiver: the value comes back");
    });
}

#[test]
fn a_new_subscriber_sees_only_later_values() {
    paused().block_on(async {
        let (tx, mut first) = broadcast::channel(8);
        tx.send("before").unwrap();
        let mut late = tx.subscribe();
        assert_eq!(late.try_recv(), Err(TryRecvError::Empty));
        assert!(late.is_empty());
        tx.send("after").unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late.recv().await, Ok("after"));
        assert_eq!(first.recv().await, Ok("before"));
        assert_eq!(first.recv().await, Ok("after"));
    });
}

#[test]
fn a_lagging_receiver_skips_the_oldest_values_and_is_told_how_many() {
    paused().block_on(async {
        let (tx, mut slow) = broadcast::channel(3);
        let mut fast = tx.subscribe();
        for i in 0..8 {
            tx.send(i).unwrap(); // never waits
            assert_eq!(fast.recv().await, Ok(i));
        }
        // The ring keeps 5, 6, 7: 0..=4 are gone for `slow`.
        assert_eq!(slow.recv().await, Err(RecvError::Lagged(5)));
        assert_eq!(slow.recv().await, Ok(5));
        tx.send(8).unwrap();
        assert_eq!(slow.try_recv(), Ok(6));
        assert_eq!(slow.try_recv(), Ok(7));
        assert_eq!(slow.try_recv(), Ok(8));
        assert_eq!(slow.try_recv(), Err(TryRecvError::Empty));
        for i in 9..13 {
            tx.send(i).unwrap();
        }
        assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(1)));
        assert_eq!(slow.try_recv(), Ok(10));
    });
}

#[test]
fn closed_after_the_last_sender_and_the_last_value() {
    paused().block_on(async {
        let (tx, mut rx) = broadcast::channel(4);
        let tx2 = tx.clone();
        let waiting = {
            let mut rx = tx.subscribe();
            evloop::spawn(async move { rx.recv().await })
        };
        yields(2).await;
        tx.send(1).unwrap();
        drop(tx);
        assert_eq!(waiting.await.unwrap(), Ok(1));

        let waiting = {
            let mut rx = tx2.subscribe();
            evloop::spawn(async move { rx.recv().await })
        };
        yields(2).await;
        drop(tx2);
        assert_eq!(
            waiting.await.unwrap(),
            Err(RecvError::Closed),
            "the last sender woke it"
        );
        assert_eq!(rx.recv().await, Ok(1), "values sent before the close still come");
        assert_eq!(rx.recv().await, Err(RecvError::Closed));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn one_send_wakes_every_waiting_receiver() {
    paused().block_on(async {
        let (tx, rx) = broadcast::channel(1);
        drop(rx);
        let got = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let mut rx = tx.subscribe();
                let got = got.clone();
                evloop::spawn(async move {
                    let v: u32 = rx.recv().await.unwrap();
                    got.set(got.get() + v);
                })
            })
            .collect();
        yields(2).await;
        assert_eq!(tx.send(2), Ok(50));
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(got.get(), 100);
    });
}

#[test]
#[should_panic(expected = "capacity must be > 0")]
fn capacity_zero_panics() {
    let _ = broadcast::channel::<()>(0);
}

#[test]
fn cancellation_stress_no_receiver_misses_a_value() {
    const VALUES: u64 = 200;
    for seed in 0..10 {
        paused().block_on(async move {
            let (tx, rx) = broadcast::channel::<u64>(VALUES as usize);
            let complete = Rc::new(Cell::new(0usize));
            let recvs_cancelled = Rc::new(Cell::new(0usize));
            let mut receivers: Vec<_> = (0..300).map(|_| tx.subscribe()).collect();
            drop(rx);
            // The producer holds the only sender: its end closes the channel.
            let producer = evloop::spawn(async move {
                for v in 0..VALUES {
                    tx.send(v).unwrap();
                    evloop::sleep(Duration::from_micros(v % 7)).await;
                }
            });
            let out = cancel_randomly(seed, 300, 20, 200_000, |_, rng| {
                let mut rx = receivers.pop().unwrap();
                let (complete, recvs_cancelled) = (complete.clone(), recvs_cancelled.clone());
                let patience = Duration::from_micros(rng.below(6) as u64 + 1);
                async move {
                    let mut expected = 0;
                    loop {
                        // Short timeouts drop many recv futures mid-wait.
                        match evloop::timeout(patience, rx.recv()).await {
                            Err(_) => recvs_cancelled.set(recvs_cancelled.get() + 1),
                            Ok(Ok(v)) => {
                                assert_eq!(v, expected, "a value was lost or repeated");
                                expected += 1;
                            }
                            Ok(Err(RecvError::Closed)) => break,
                            Ok(Err(e)) => panic!("{e}"),
                        }
                    }
                    assert_eq!(expected, VALUES);
                    complete.set(complete.get() + 1);
                }
            })
            .await;
            producer.await.unwrap();
            assert_eq!(out.stuck, 0, "seed {seed}: a receiver never saw the close");
            assert!(out.cancelled > 20 && recvs_cancelled.get() > 1000, "{out:?}");
            assert_eq!(complete.get() + out.cancelled, 300, "seed {seed}");
        });
    }
}
