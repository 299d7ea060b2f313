//! `Core`: the state of one loop, shared (`Rc`) by the `EventLoop`, the
//! thread-local context and every `Task` handle.
//!
//! Everything here is single-threaded: plain `Cell`s and `RefCell`s. A
//! `RefCell` is only borrowed for the few instructions of a push, a pop or a
//! lookup — never across a poll or a call into user code — so user code
//! (a future, a destructor, a callback) can always spawn, wake or arm a
//! timer. The one part other threads can reach is `remote` (see `remote/`).

use std::cell::{Cell, RefCell};
use std::io;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Waker};

use crossbeam_channel::Receiver;

use crate::callback::CallbackCell;
use crate::monitor::recorder::{Monitor, MonitorConfig};
use crate::monitor::stats::Counters;
use crate::reactor::Reactor;
use crate::remote::blocking_pool::{BlockingPool, Refused};
use crate::remote::{self, RemoteMsg, Shared};
use crate::run_queue::RunQueue;
use crate::task::cell_cache::CellCache;
use crate::task::error::TaskError;
use crate::task::handle::Task;
use crate::task::id::TaskId;
use crate::task::raw::TaskRef;
use crate::task::slab::{next_generation, TaskSlab};
use crate::task::waker::{WakeTarget, MAIN_SLOT};
use crate::timer::clock::Clock;
use crate::timer::wheel::Wheel;

/// One entry of the run queue.
pub(crate) enum Ready {
    /// A task in the slab, named by (slot, generation).
    Task { slot: u32, generation: u32 },
    /// The future given to `block_on`.
    Main,
    /// A callback from `call_soon`, `call_later` or `call_soon_threadsafe`.
    Callback(Rc<CallbackCell>),
}

/// What an armed timer does when it fires.
pub(crate) enum TimerPayload {
    /// Wake a future (`Sleep`).
    Wake(Waker),
    /// Queue a callback (`call_later`, `call_at`).
    Callback(Rc<CallbackCell>),
}

pub(crate) struct Core {
    index: u16,
    /// Unique for the life of the process (indexes are reused).
    uid: u64,
    pub(crate) tasks: RefCell<TaskSlab>,
    pub(crate) ready: RefCell<RunQueue>,
    main_scheduled: Cell<bool>,
    main_generation: Cell<u32>,
    pub(crate) timers: RefCell<Wheel<TimerPayload>>,
    pub(crate) clock: Clock,
    pub(crate) reactor: RefCell<Reactor>,
    pub(crate) remote: Arc<Shared>,
    /// Taken (dropped) at close, so later sends fail and drop their message.
    remote_rx: RefCell<Option<Receiver<RemoteMsg>>>,
    /// (slot, generation) of the task being polled, for `current_task`.
    pub(crate) current: Cell<Option<(u32, u32)>>,
    pub(crate) stop_requested: Cell<bool>,
    /// Set at the end of close: new tasks are cancelled before they start.
    pub(crate) closing: Cell<bool>,
    /// Tasks spawned while closing, waiting to be dropped (see `close`).
    pub(crate) doomed: RefCell<Vec<TaskRef>>,
    pub(crate) counters: Counters,
    fired: RefCell<Vec<(u64, TimerPayload)>>,
    /// Recycled task-cell memory (`task/cell_cache.rs`).
    pub(crate) cells: CellCache,
    /// `Some` only when measuring is on (`monitor/recorder.rs`).
    pub(crate) monitor: Option<Box<Monitor>>,
    /// Started by the first `to_thread` (`remote/blocking_pool.rs`).
    blocking: RefCell<Option<BlockingPool>>,
    blocking_config: BlockingConfig,
}

/// Limits of the blocking pool, from the `Builder`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockingConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: std::time::Duration,
    pub(crate) shutdown_timeout: std::time::Duration,
}

impl BlockingConfig {
    fn pool(&self) -> BlockingPool {
        BlockingPool::new(self.max_threads, self.keep_alive, self.shutdown_timeout)
    }
}

impl Core {
    pub(crate) fn new(paused_clock: bool, monitor: &MonitorConfig, blocking: BlockingConfig) -> io::Result<Rc<Core>> {
        let reactor = Reactor::new()?;
        let (shared, remote_rx) = remote::register(reactor.registry())?;
        let monitor = if monitor.wanted() {
            match Monitor::new(monitor, shared.index()) {
                Ok(m) => Some(Box::new(m)),
                Err(e) => {
                    remote::unregister(&shared);
                    return Err(e);
                }
            }
        } else {
            None
        };
        static NEXT_UID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Ok(Rc::new(Core {
            index: shared.index(),
            uid: NEXT_UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            tasks: RefCell::new(TaskSlab::new()),
            ready: RefCell::new(RunQueue::new()),
            main_scheduled: Cell::new(false),
            main_generation: Cell::new(0),
            timers: RefCell::new(Wheel::new()),
            clock: Clock::new(paused_clock),
            reactor: RefCell::new(reactor),
            remote: shared,
            remote_rx: RefCell::new(Some(remote_rx)),
            current: Cell::new(None),
            stop_requested: Cell::new(false),
            closing: Cell::new(false),
            doomed: RefCell::new(Vec::new()),
            counters: Counters::default(),
            fired: RefCell::new(Vec::new()),
            cells: CellCache::new(),
            monitor,
            blocking: RefCell::new(None),
            blocking_config: blocking,
        }))
    }

    /// This loop's index in the global registry (part of every waker).
    #[inline]
    pub(crate) fn index(&self) -> u16 {
        self.index
    }

    /// This loop's process-unique id.
    #[inline]
    pub(crate) fn uid(&self) -> u64 {
        self.uid
    }

    /// Creates a task and queues its first poll.
    pub(crate) fn spawn<F: std::future::Future + 'static>(
        &self,
        future: F,
        name: Option<String>,
        spawned_at: &'static Location<'static>,
    ) -> Task<F::Output> {
        let (task, output) = TaskRef::allocate(&self.cells, future, TaskId::next(), name, spawned_at);
        self.counters.tasks_spawned.set(self.counters.tasks_spawned.get() + 1);
        if self.closing.get() {
            // The loop is closing: this task never starts. Its future is
            // dropped by `close`, not here: a destructor that spawns again
            // would otherwise recurse.
            self.doomed.borrow_mut().push(task);
            return Task::new(output);
        }
        let (slot, generation) = self.tasks.borrow_mut().insert(task);
        output.task().set_place(WakeTarget {
            loop_index: self.index,
            slot,
            generation,
        });
        self.ready.borrow_mut().push_back(Ready::Task { slot, generation });
        if let Some(m) = &self.monitor {
            m.woken(output.task());
        }
        Task::new(output)
    }

    /// The local wake path: schedule (slot, generation) unless it already is.
    #[inline]
    pub(crate) fn wake(&self, slot: u32, generation: u32) {
        let scheduled = if slot == MAIN_SLOT {
            let fresh = generation == self.main_generation.get() && !self.main_scheduled.get();
            if fresh {
                self.main_scheduled.set(true);
                self.ready.borrow_mut().push_back(Ready::Main);
            }
            fresh
        } else if self.tasks.borrow_mut().try_schedule(slot, generation) {
            self.ready.borrow_mut().push_back(Ready::Task { slot, generation });
            if let Some(m) = self.monitor.as_deref().filter(|m| m.stamps_wakes()) {
                if let Some(task) = self.tasks.borrow().get(slot) {
                    m.woken(task);
                }
            }
            true
        } else {
            false
        };
        if scheduled {
            self.counters.wakes_local.set(self.counters.wakes_local.get() + 1);
        }
    }

    /// Starts a new `block_on`: the main future gets a fresh generation (so
    /// wakers of an earlier main future are stale) and is queued.
    pub(crate) fn begin_main(&self) -> Waker {
        let generation = next_generation(self.main_generation.get());
        self.main_generation.set(generation);
        self.main_scheduled.set(true);
        self.ready.borrow_mut().push_back(Ready::Main);
        WakeTarget {
            loop_index: self.index,
            slot: MAIN_SLOT,
            generation,
        }
        .waker()
    }

    /// The run queue just handed over the main future.
    pub(crate) fn clear_main_scheduled(&self) {
        self.main_scheduled.set(false);
    }

    /// Ends a `block_on`: later wakes of its waker are ignored.
    pub(crate) fn end_main(&self) {
        self.main_generation.set(next_generation(self.main_generation.get()));
        self.main_scheduled.set(false);
    }

    /// Polls (or, if cancellation was requested, drops) one queued task.
    pub(crate) fn run_task(&self, slot: u32, generation: u32) {
        let Some(task) = self.tasks.borrow_mut().take_scheduled(slot, generation) else {
            return;
        };
        self.current.set(Some((slot, generation)));
        let done = if task.is_cancel_requested() {
            task.drop_future(TaskError::cancelled());
            true
        } else {
            let waker = WakeTarget {
                loop_index: self.index,
                slot,
                generation,
            }
            .waker();
            self.counters.polls.set(self.counters.polls.get() + 1);
            let done = task.poll(&mut Context::from_waker(&waker));
            if let Some(m) = &self.monitor {
                m.polled(&task);
            }
            done
        };
        self.current.set(None);
        if done {
            self.finish(slot, task);
        }
    }

    /// Takes a finished task out of the slab and wakes its joiner.
    #[inline]
    pub(crate) fn finish(&self, slot: u32, task: TaskRef) {
        let slab_ref = self.tasks.borrow_mut().remove(slot);
        drop(slab_ref);
        if let Some(waker) = task.take_join_waker() {
            waker.wake();
        }
    }

    /// Runs a queued callback; a panic is reported on stderr and the loop goes on.
    pub(crate) fn run_callback(&self, cell: &CallbackCell) {
        if cell.run() {
            self.counters.callbacks_run.set(self.counters.callbacks_run.get() + 1);
        }
    }

    /// Fires every timer due at `now_us`, in deadline order.
    pub(crate) fn fire_timers(&self, now_us: u64) {
        let mut fired = std::mem::take(&mut *self.fired.borrow_mut());
        self.timers.borrow_mut().advance(now_us, &mut fired);
        if fired.is_empty() {
            *self.fired.borrow_mut() = fired;
            return;
        }
        self.counters
            .timers_fired
            .set(self.counters.timers_fired.get() + fired.len() as u64);
        if let Some(m) = &self.monitor {
            m.stamp();
            m.timers_fired(now_us, fired.iter().map(|(when, _)| *when));
        }
        for (_, payload) in fired.drain(..) {
            match payload {
                TimerPayload::Wake(waker) => waker.wake(),
                TimerPayload::Callback(cell) => {
                    cell.disarmed();
                    self.ready.borrow_mut().push_back(Ready::Callback(cell));
                }
            }
        }
        *self.fired.borrow_mut() = fired;
    }

    /// Handles what other threads sent: wakes, callbacks, stop requests.
    pub(crate) fn drain_remote(&self) {
        if !self.remote.take_notified() {
            return;
        }
        loop {
            let msg = match self.remote_rx.borrow().as_ref().map(Receiver::try_recv) {
                Some(Ok(msg)) => msg,
                _ => break,
            };
            match msg {
                RemoteMsg::Wake { slot, generation } => {
                    self.counters.wakes_remote.set(self.counters.wakes_remote.get() + 1);
                    self.wake(slot, generation);
                }
                RemoteMsg::Call(f) => {
                    let cell = CallbackCell::new(f, None);
                    self.ready.borrow_mut().push_back(Ready::Callback(cell));
                }
                RemoteMsg::Stop => self.stop_requested.set(true),
            }
        }
    }

    /// Hands a job to the blocking pool, starting the pool on first use.
    pub(crate) fn submit_blocking(&self, job: Box<dyn FnOnce() + Send>) -> Result<(), Refused> {
        let mut pool = self.blocking.borrow_mut();
        pool.get_or_insert_with(|| self.blocking_config.pool()).submit(job)
    }

    /// True while `to_thread` jobs are queued or running.
    pub(crate) fn blocking_pending(&self) -> bool {
        self.blocking.borrow().as_ref().is_some_and(BlockingPool::has_pending)
    }

    /// Threads of the blocking pool alive now.
    pub(crate) fn blocking_threads(&self) -> usize {
        self.blocking.borrow().as_ref().map_or(0, BlockingPool::threads)
    }

    /// At close, before cancelling tasks: refuse new blocking jobs.
    pub(crate) fn close_blocking(&self) {
        let mut pool = self.blocking.borrow_mut();
        pool.get_or_insert_with(|| self.blocking_config.pool()).close();
    }

    /// At close, after the tasks are gone: wait for running jobs, join the threads.
    pub(crate) fn shutdown_blocking(&self) {
        let pool = self.blocking.borrow_mut().take();
        if let Some(mut pool) = pool {
            pool.shutdown();
        }
    }

    /// Every live task, for `all_tasks`, `close` and `dump_tasks`.
    pub(crate) fn live_tasks(&self) -> Vec<(u32, u32, TaskRef)> {
        self.tasks
            .borrow()
            .iter()
            .map(|(slot, generation, task)| (slot, generation, task.clone()))
            .collect()
    }

    /// Marks every live task for cancellation and queues it. Returns how
    /// many tasks were live.
    pub(crate) fn cancel_all(&self) -> usize {
        let live = self.live_tasks();
        for (slot, generation, task) in &live {
            if task.request_cancel() {
                self.wake(*slot, *generation);
            }
        }
        live.len()
    }
}

impl Core {
    /// At close: disarm every timer, drop queued callbacks and stop
    /// accepting messages from other threads (their closures are dropped,
    /// so a `RemoteTask` waiting on one resolves as cancelled).
    pub(crate) fn close_queues(&self) {
        let timers = self.timers.borrow_mut().drain();
        drop(timers);
        let ready = std::mem::take(&mut *self.ready.borrow_mut());
        drop(ready);
        remote::unregister(&self.remote);
        let rx = self.remote_rx.borrow_mut().take();
        drop(rx);
        if let Some(m) = &self.monitor {
            m.finish();
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        remote::unregister(&self.remote);
    }
}
