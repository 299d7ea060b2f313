//! `Core`: one loop's subsystems, composed. Shared (`Rc`) by the
//! `EventLoop`, the thread-local context and the values that keep their
//! loop (a `CallbackHandle`, an `IoSource`).
//!
//! Each subsystem owns its state behind a small interface, in the folder
//! named after it; `Core` holds them in private fields and only composes
//! them — a spawn creates a task (`task/`) and queues it (`run_queue.rs`),
//! a wake asks the slab whether to queue. The tick that drives them is in
//! `scheduler.rs`, the close protocol in `runtime/shutdown.rs`.
//!
//! Everything here is single-threaded: plain `Cell`s and `RefCell`s. A
//! `RefCell` is only borrowed for the few instructions of a push, a pop or a
//! lookup — never across a poll or a call into user code — so user code
//! (a future, a destructor, a callback) can always spawn, wake or arm a
//! timer. The one part other threads can reach is the inbox (`remote/`).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::panic::Location;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::blocking::{Blocking, BlockingConfig};
use crate::busy_poll::BusyPoll;
use crate::monitor::recorder::{Monitor, MonitorConfig};
use crate::monitor::stats::Counters;
use crate::reactor::Reactor;
use crate::remote::Inbox;
use crate::run_queue::{RunQueue, Runnable};
use crate::task::raw::{OutputRef, TaskRef};
use crate::task::{Task, TaskAddress, TaskId, Tasks};
use crate::timer::Timers;

/// A process-unique loop id (loop indexes are reused, these are not).
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Core {
    /// The loop's place in the registry of live loops (`remote/inbox.rs`);
    /// part of every task address. Reused after the loop is gone.
    index: u16,
    /// Unique for the life of the process.
    id: u64,
    tasks: Tasks,
    run_queue: RunQueue,
    timers: Timers,
    reactor: RefCell<Reactor>,
    inbox: Inbox,
    blocking: Blocking,
    counters: Counters,
    /// `Some` only when measuring is on (`monitor/recorder.rs`).
    monitor: Option<Box<Monitor>>,
    stop_requested: Cell<bool>,
    /// When to spin before sleeping in step 4 (`busy_poll.rs`).
    busy_poll: BusyPoll,
}

impl Core {
    pub(crate) fn new(
        paused_clock: bool,
        monitor: &MonitorConfig,
        blocking: BlockingConfig,
        busy_poll: Duration,
    ) -> io::Result<Rc<Core>> {
        let reactor = Reactor::new()?;
        let inbox = Inbox::new(reactor.registry())?;
        let index = inbox.shared().index();
        let monitor = match monitor.wanted() {
            true => Some(Box::new(Monitor::new(monitor, index)?)),
            false => None,
        };
        Ok(Rc::new(Core {
            index,
            id: NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
            tasks: Tasks::new(),
            run_queue: RunQueue::default(),
            timers: Timers::new(paused_clock),
            reactor: RefCell::new(reactor),
            inbox,
            blocking: Blocking::new(blocking),
            counters: Counters::default(),
            monitor,
            stop_requested: Cell::new(false),
            busy_poll: BusyPoll::new(busy_poll),
        }))
    }

    /// This loop's index in the registry (part of every task address).
    #[inline]
    pub(crate) fn index(&self) -> u16 {
        self.index
    }

    /// This loop's process-unique id.
    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The task subsystem.
    #[inline]
    pub(crate) fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    /// The run queue.
    #[inline]
    pub(crate) fn run_queue(&self) -> &RunQueue {
        &self.run_queue
    }

    /// The timer subsystem (and the clock).
    #[inline]
    pub(crate) fn timers(&self) -> &Timers {
        &self.timers
    }

    /// The reactor.
    #[inline]
    pub(crate) fn reactor(&self) -> &RefCell<Reactor> {
        &self.reactor
    }

    /// The inbox other threads send to.
    #[inline]
    pub(crate) fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// The blocking pool.
    #[inline]
    pub(crate) fn blocking(&self) -> &Blocking {
        &self.blocking
    }

    /// The always-on counters.
    #[inline]
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The monitor, when measuring is on.
    #[inline]
    pub(crate) fn monitor(&self) -> Option<&Monitor> {
        self.monitor.as_deref()
    }

    /// The busy-polling policy.
    #[inline]
    pub(crate) fn busy_poll(&self) -> &BusyPoll {
        &self.busy_poll
    }

    /// Asks `run_forever` to return after this tick.
    pub(crate) fn request_stop(&self) {
        self.stop_requested.set(true);
    }

    /// Whether a stop was requested (and not yet honoured).
    #[inline]
    pub(crate) fn stop_requested(&self) -> bool {
        self.stop_requested.get()
    }

    /// Honours a stop request: true if there was one.
    pub(crate) fn take_stop_request(&self) -> bool {
        self.stop_requested.replace(false)
    }

    /// Creates a task and queues its first poll.
    #[inline]
    pub(crate) fn spawn<F: Future + 'static>(
        &self,
        future: F,
        name: Option<String>,
        spawned_at: &'static Location<'static>,
    ) -> Task<F::Output> {
        Task::new(self.spawn_raw(future, name, false, spawned_at).0)
    }

    /// Creates the main task (`task/main_task.rs`) and queues its first poll.
    pub(crate) fn spawn_main<F: Future + 'static>(
        &self,
        future: F,
        spawned_at: &'static Location<'static>,
    ) -> (OutputRef<F::Output>, Option<TaskAddress>) {
        self.spawn_raw(future, None, true, spawned_at)
    }

    /// `spawn` without the handle: the typed output reference and, unless
    /// the loop refuses new tasks (it is closing), the task's address.
    #[inline(always)]
    fn spawn_raw<F: Future + 'static>(
        &self,
        future: F,
        name: Option<String>,
        main: bool,
        spawned_at: &'static Location<'static>,
    ) -> (OutputRef<F::Output>, Option<TaskAddress>) {
        let (task, queued, output) = TaskRef::allocate(self.tasks.cells(), future, TaskId::next(), name, spawned_at);
        if main {
            task.mark_main();
        }
        self.counters.tasks_spawned.set(self.counters.tasks_spawned.get() + 1);
        let address = self.tasks.insert(task, self.index);
        if address.is_none() {
            drop(queued); // refused: it never runs
        } else {
            queued.mark_scheduled();
            self.run_queue.push_back(Runnable::Task(queued));
            if let Some(m) = &self.monitor {
                m.spawned(output.task());
            }
        }
        (output, address)
    }

    /// The local wake path: schedule (slot, generation) unless it already is.
    #[inline]
    pub(crate) fn wake(&self, slot: u32, generation: u32) {
        if let Some(task) = self.tasks.schedule(slot, generation) {
            self.queue_woken(task);
        }
    }

    /// Queues a task that a wake has just marked scheduled. Always inlined:
    /// as a call of its own it cost a yield 11 more instructions
    /// (`benches/count_instructions.sh`).
    #[inline(always)]
    fn queue_woken(&self, task: TaskRef) {
        if let Some(m) = self.monitor.as_deref().filter(|m| m.stamps_wakes()) {
            m.woken(&task);
        }
        self.run_queue.push_back(Runnable::Task(task));
        self.counters.wakes_local.set(self.counters.wakes_local.get() + 1);
    }

    /// `yield_now`'s fast path: if `waker` is the waker of the task being
    /// polled, the scheduler queues that task again when the poll returns
    /// (it holds the task already: no lookup, no reference count) and this
    /// returns true; otherwise the caller wakes `waker` as usual.
    #[inline]
    pub(crate) fn yield_current(&self, waker: &std::task::Waker) -> bool {
        if !self.tasks.is_current_waker(waker) {
            return false;
        }
        self.tasks.request_requeue();
        true
    }

    /// Queues `task` again after its poll (see [`Core::yield_current`]),
    /// unless something woke it during the poll and queued it already.
    #[inline]
    pub(crate) fn requeue(&self, task: TaskRef) {
        if task.mark_scheduled() {
            self.queue_woken(task);
        }
    }

    /// Takes the task at `address` out of the slab, if it is still there
    /// (the generation tells it from a later task in the same slot).
    pub(crate) fn end_task(&self, address: TaskAddress) {
        if let Some(live) = self.tasks.get(address.slot, address.generation) {
            self.tasks.finish(live);
        }
    }

    /// Marks every live task for cancellation and queues it. Returns how
    /// many tasks were live.
    pub(crate) fn cancel_all(&self) -> usize {
        let live = self.tasks.snapshot();
        for (slot, generation, task) in &live {
            if task.request_cancel() {
                self.wake(*slot, *generation);
            }
        }
        live.len()
    }
}
