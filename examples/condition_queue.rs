//! Seed pattern: a bounded queue built by hand on a `Lock` and two
//! `Condition`s (one for "not full", one for "not empty", so a notification
//! always reaches the side that can use it). A fast producer fills it up to
//! `maxsize` and then waits for the slow consumer.
//!
//! `cargo run --example condition_queue`
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::{Condition, Lock};

struct BoundedQueue<T> {
    items: Lock<VecDeque<T>>,
    not_full: Condition,
    not_empty: Condition,
    maxsize: usize,
}

impl<T> BoundedQueue<T> {
    fn new(maxsize: usize) -> Self {
        BoundedQueue {
            items: Lock::new(VecDeque::new()),
            not_full: Condition::new(),
            not_empty: Condition::new(),
            maxsize,
        }
    }

    async fn put(&self, item: T) {
        let mut q = self
            .not_full
            .wait_for(self.items.lock().await, |q| q.len() < self.maxsize)
            .await;
        q.push_back(item);
        self.not_empty.notify(1);
    }

    async fn get(&self) -> T {
        let mut q = self
            .not_empty
            .wait_for(self.items.lock().await, |q| !q.is_empty())
            .await;
        let item = q.pop_front().expect("predicate said non-empty");
        self.not_full.notify(1);
        item
    }
}

fn main() {
    evloop::run(async {
        let queue = Rc::new(BoundedQueue::new(5));
        let q = queue.clone();
        let producer = evloop::spawn(async move {
            for i in 0..10 {
                q.put(i).await;
                println!("Produced: {i} (queue holds {})", q.items.lock().await.len());
                evloop::sleep(Duration::from_millis(10)).await;
            }
        });
        let q = queue.clone();
        let consumer = evloop::spawn(async move {
            for _ in 0..10 {
                let item = q.get().await;
                println!("Consumed: {item}");
                evloop::sleep(Duration::from_millis(20)).await;
            }
        });
        producer.await.unwrap();
        consumer.await.unwrap();
    });
}
