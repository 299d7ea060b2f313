//! Seed pattern: `Semaphore(3)` lets only three of ten tasks run at once;
//! the others queue and start, in order, as permits come back.
//!
//! `cargo run --example semaphore_limit`
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::Semaphore;

fn main() {
    evloop::run(async {
        let semaphore = Rc::new(Semaphore::new(3));
        let running = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|n| {
                let (semaphore, running) = (semaphore.clone(), running.clone());
                evloop::spawn(async move {
                    let _permit = semaphore.acquire().await;
                    running.set(running.get() + 1);
                    println!("Task {n} starting ({} running)", running.get());
                    evloop::sleep(Duration::from_millis(100)).await;
                    running.set(running.get() - 1);
                    println!("Task {n} done");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        println!("permits available again: {}", semaphore.available_permits());
    });
}
