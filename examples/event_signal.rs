//! Seed pattern: two tasks wait for an `Event`; a third sets it after a
//! delay, and both waiters wake.
//!
//! `cargo run --example event_signal`
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::Event;

async fn waiter(event: Rc<Event>, name: &str) {
    println!("{name} waiting for event...");
    event.wait().await;
    println!("{name} got the event!");
}

async fn setter(event: Rc<Event>) {
    evloop::sleep(Duration::from_millis(200)).await;
    println!("Setting event!");
    event.set();
}

fn main() {
    evloop::run(async {
        let event = Rc::new(Event::new());
        let tasks = [
            evloop::spawn(waiter(event.clone(), "Task 1")),
            evloop::spawn(waiter(event.clone(), "Task 2")),
            evloop::spawn(setter(event.clone())),
        ];
        for t in tasks {
            t.await.unwrap();
        }
    });
}
