//! Seed pattern: 100 tasks increment a shared counter under a `Lock`, with
//! a sleep inside the critical section. Without the lock the result would be
//! 1; with it, 100.
//!
//! `cargo run --example lock_counter`
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::sync::Lock;

fn main() {
    evloop::run(async {
        let counter = Rc::new(Lock::new(0u32));
        let started = Instant::now();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let counter = counter.clone();
                evloop::spawn(async move {
                    let mut value = counter.lock().await;
                    let current = *value;
                    evloop::sleep(Duration::from_millis(5)).await; // simulate work
                    *value = current + 1;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        println!("Counter value: {} (expected 100)", *counter.lock().await);
        println!(
            "took {:?}: the 100 critical sections ran one after another",
            started.elapsed()
        );
    });
}
