//! Seed pattern: one producer, two consumers, a bounded `Queue`, and a
//! poison pill that each consumer passes on. Then the same with a
//! `channel`, where dropping the sender ends the stream instead, and with
//! `Queue::shutdown`, which lets consumers drain and then stop.
//!
//! `cargo run --example producer_consumer`
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{channel, Queue};

fn main() {
    evloop::run(async {
        println!("-- Queue with a poison pill --");
        let queue: Rc<Queue<Option<String>>> = Rc::new(Queue::new(5));
        let q = queue.clone();
        let producer = evloop::spawn(async move {
            for i in 0..6 {
                let item = format!("item-{i}");
                q.put(Some(item.clone())).await.unwrap();
                println!("Produced {item}");
                evloop::sleep(Duration::from_millis(5)).await;
            }
            q.put(None).await.unwrap(); // end of production
        });
        let consumers: Vec<_> = ["Consumer 1", "Consumer 2"]
            .into_iter()
            .map(|name| {
                let q = queue.clone();
                evloop::spawn(async move {
                    while let Some(item) = q.get().await.unwrap() {
                        println!("{name} processing {item}");
                        evloop::sleep(Duration::from_millis(10)).await;
                        q.task_done().unwrap();
                    }
                    q.put_nowait(None).unwrap(); // propagate to the other consumer
                })
            })
            .collect();
        producer.await.unwrap();
        for c in consumers {
            c.await.unwrap();
        }

        println!("-- Queue::shutdown: drain, then stop --");
        let queue = Rc::new(Queue::new(5));
        for i in 0..3 {
            queue.put(i).await.unwrap();
        }
        queue.shutdown(false);
        while let Ok(i) = queue.get().await {
            println!("drained {i}");
        }
        println!("get() after the drain: {:?}", queue.get().await);

        println!("-- channel: the stream ends when every sender is dropped --");
        let (tx, mut rx) = channel::bounded(2);
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let tx = tx.clone();
                evloop::spawn(async move {
                    for i in 0..3 {
                        tx.send(format!("p{p}-{i}")).await.unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        while let Some(msg) = rx.recv().await {
            println!("received {msg}");
        }
        for p in producers {
            p.await.unwrap();
        }
        println!("channel closed");
    });
}
