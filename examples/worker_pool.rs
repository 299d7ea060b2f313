//! Seed pattern: a worker pool. Jobs go into a `Queue`; three workers take
//! them, call `task_done` for each; `join` waits until every job is
//! processed; poison pills (`None`) stop the workers.
//!
//! `cargo run --example worker_pool`
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::Queue;

struct Job {
    id: u32,
    data: String,
}

async fn worker(id: usize, queue: Rc<Queue<Option<Job>>>, results: Rc<RefCell<Vec<String>>>) {
    loop {
        let Some(job) = queue.get().await.expect("queue is never shut down here") else {
            queue.task_done().unwrap();
            break; // poison pill
        };
        evloop::sleep(Duration::from_millis(10)).await; // simulate work
        results
            .borrow_mut()
            .push(format!("Processed {} ({}) on worker {id}", job.id, job.data));
        queue.task_done().unwrap();
    }
}

fn main() {
    evloop::run(async {
        let queue = Rc::new(Queue::new(100));
        let results = Rc::new(RefCell::new(Vec::new()));
        let workers: Vec<_> = (0..3)
            .map(|id| evloop::spawn(worker(id, queue.clone(), results.clone())))
            .collect();
        for id in 0..20 {
            queue
                .put(Some(Job {
                    id,
                    data: format!("data_{id}"),
                }))
                .await
                .unwrap();
        }
        queue.join().await; // every job processed
        println!("all {} jobs processed:", results.borrow().len());
        for line in results.borrow().iter() {
            println!("  {line}");
        }
        for _ in 0..3 {
            queue.put(None).await.unwrap();
        }
        for w in workers {
            w.await.unwrap();
        }
        println!("workers stopped; unfinished tasks: {}", queue.unfinished_tasks());
    });
}
