//! The blocking pool behind `to_thread`, owned by one loop.
//!
//! `pool.rs` is the pool itself (threads, queue, counters, shutdown);
//! `to_thread.rs` the public function. [`Blocking`] is what the loop holds:
//! the pool is started by the first `to_thread`, so a loop that never calls
//! it never starts a thread. At close the loop first [`close`](Blocking::close)s
//! it (new jobs are refused while tasks are cancelled), then
//! [`shutdown`](Blocking::shutdown)s it (waits for running jobs, once,
//! joins the threads).

mod pool;
mod to_thread;

pub use to_thread::{to_thread, ToThread};

use std::cell::RefCell;
use std::time::Duration;

use pool::{BlockingPool, Job, Refused};

/// Limits of the blocking pool, from the `Builder`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockingConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) shutdown_timeout: Duration,
}

/// One loop's blocking pool, started on first use.
pub(crate) struct Blocking {
    pool: RefCell<Option<BlockingPool>>,
    config: BlockingConfig,
}

impl Blocking {
    pub(crate) fn new(config: BlockingConfig) -> Blocking {
        Blocking {
            pool: RefCell::new(None),
            config,
        }
    }

    fn start(&self) -> BlockingPool {
        BlockingPool::new(
            self.config.max_threads,
            self.config.keep_alive,
            self.config.shutdown_timeout,
        )
    }

    /// Hands a job to the pool, starting the pool on first use.
    pub(crate) fn submit(&self, job: Job) -> Result<(), Refused> {
        let mut pool = self.pool.borrow_mut();
        pool.get_or_insert_with(|| self.start()).submit(job)
    }

    /// True while jobs are queued or running.
    pub(crate) fn has_pending(&self) -> bool {
        self.pool.borrow().as_ref().is_some_and(BlockingPool::has_pending)
    }

    /// Threads alive now.
    pub(crate) fn threads(&self) -> usize {
        self.pool.borrow().as_ref().map_or(0, BlockingPool::threads)
    }

    /// At close, before cancelling tasks: refuse new jobs.
    pub(crate) fn close(&self) {
        let mut pool = self.pool.borrow_mut();
        pool.get_or_insert_with(|| self.start()).close();
    }

    /// At close, after the tasks are gone: wait for running jobs (at most
    /// the shutdown timeout, once) and join the threads.
    pub(crate) fn shutdown(&self) {
        let pool = self.pool.borrow_mut().take();
        if let Some(mut pool) = pool {
            pool.shutdown();
        }
    }
}
