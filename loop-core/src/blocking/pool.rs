//! The thread pool behind `to_thread` (asyncio's `to_thread` /
//! `run_in_executor`).
//!
//! Jobs go through a crossbeam channel to worker threads. A thread starts
//! only when a job arrives and no idle worker is free to take it, up to the loop's
//! `max_blocking_threads`; beyond that jobs queue. A worker idle for the
//! keep-alive period exits. The result travels back through the same slot
//! type as `RemoteTask`, whose waker wakes the awaiting task through the
//! loop's remote queue.
//!
//! At loop close the pool first *closes* — new jobs are refused with a
//! clear error while the loop cancels its tasks — then *shuts down*: the
//! close waits for every job already running or queued to finish, and joins
//! the threads. Shutdown happens once: dropping a pool that was shut down
//! does not wait (nor warn) a second time.
//!
//! A worker survives anything a job does: the job runs inside
//! `catch_unwind` (a panic in `f` is already caught by `to_thread` and
//! becomes the caller's error; this catches what is left, such as a result
//! whose destructor panics when nobody is waiting for it), and the counters
//! are updated whatever happened.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

pub(crate) type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    threads: usize,
    idle: usize,
    /// Jobs accepted and not yet finished (queued or running).
    pending: usize,
    /// Jobs sent and not yet taken by a worker.
    queued: usize,
    closed: bool,
    handles: Vec<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    all_done: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    shutdown_timeout: Duration,
}

/// One loop's blocking pool.
pub(crate) struct BlockingPool {
    shared: Arc<Shared>,
    tx: Option<Sender<Job>>,
    rx: Receiver<Job>,
    /// Set by `shutdown`; a second call does nothing.
    shut_down: bool,
}

/// Why a job was not accepted.
#[derive(Debug)]
pub(crate) struct Refused;

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, shutdown_timeout: Duration) -> BlockingPool {
        let (tx, rx) = crossbeam_channel::unbounded();
        BlockingPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                all_done: Condvar::new(),
                max_threads: max_threads.max(1),
                keep_alive,
                shutdown_timeout,
            }),
            tx: Some(tx),
            rx,
            shut_down: false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job`, starting a thread if none is idle and the limit allows.
    pub(crate) fn submit(&self, job: Job) -> Result<(), Refused> {
        let mut state = self.lock();
        let Some(tx) = self.tx.as_ref().filter(|_| !state.closed) else {
            return Err(Refused);
        };
        state.pending += 1;
        // Start a thread unless an idle one is free for this job.
        if state.queued >= state.idle && state.threads < self.shared.max_threads {
            state.handles.retain(|h| !h.is_finished());
            let shared = self.shared.clone();
            let rx = self.rx.clone();
            let spawned = std::thread::Builder::new()
                .name("evloop-blocking".into())
                .spawn(move || worker(shared, rx));
            match spawned {
                Ok(handle) => {
                    state.threads += 1;
                    state.idle += 1; // counted idle until it takes a job
                    state.handles.push(handle);
                }
                // Out of threads: the job waits for a running worker.
                Err(_) if state.threads > 0 => {}
                Err(_) => {
                    state.pending -= 1;
                    return Err(Refused);
                }
            }
        }
        // Sent under the lock: a worker deciding to exit on its keep-alive
        // looks at the queue under the same lock, so it cannot miss this job.
        let sent = tx.send(job).map_err(|_| Refused);
        match sent {
            Ok(()) => state.queued += 1,
            Err(_) => state.pending -= 1,
        }
        sent
    }

    /// Jobs queued or running.
    pub(crate) fn has_pending(&self) -> bool {
        self.lock().pending > 0
    }

    /// Threads alive now.
    pub(crate) fn threads(&self) -> usize {
        self.lock().threads
    }

    /// Refuses new jobs from now on.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
    }

    /// Closes, waits (up to the shutdown timeout) for every accepted job to
    /// finish, and joins the threads. Jobs still running after the timeout
    /// are left to finish on their own, with a warning on stderr.
    pub(crate) fn shutdown(&mut self) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        let deadline = Instant::now() + self.shared.shutdown_timeout;
        let handles = {
            let mut state = self.lock();
            state.closed = true;
            while state.pending > 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state = self
                    .shared
                    .all_done
                    .wait_timeout(state, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if state.pending > 0 {
                eprintln!(
                    "evloop: {} to_thread job(s) still running {:?} after the loop closed; \
                     leaving their threads behind (Builder::blocking_shutdown_timeout)",
                    state.pending, self.shared.shutdown_timeout
                );
                Vec::new()
            } else {
                std::mem::take(&mut state.handles)
            }
        };
        // Disconnect the channel: idle workers wake up and exit.
        self.tx = None;
        for handle in handles {
            let _ = handle.join();
        }
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn worker(shared: Arc<Shared>, rx: Receiver<Job>) {
    loop {
        match rx.recv_timeout(shared.keep_alive) {
            Ok(job) => {
                {
                    let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
                    state.idle -= 1;
                    state.queued -= 1;
                }
                // `to_thread` catches the panics of `f`; this catches the
                // rest, so the counters below are always updated.
                if catch_unwind(AssertUnwindSafe(job)).is_err() {
                    eprintln!("evloop: a to_thread job panicked outside its function; the worker goes on");
                }
                let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
                state.idle += 1;
                state.pending -= 1;
                if state.pending == 0 {
                    shared.all_done.notify_all();
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
                // Exit only if no job is waiting for this thread.
                if rx.is_empty() {
                    state.threads -= 1;
                    state.idle -= 1;
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
                state.threads -= 1;
                state.idle -= 1;
                return;
            }
        }
    }
}
