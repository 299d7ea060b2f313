//! The task subsystem of one loop: the slab of live tasks, the cache of
//! cell memory, which task is being polled, and whether new tasks are
//! taken at all.
//!
//! The scheduler asks it to create, schedule, take and finish tasks; it
//! never touches the run queue itself (the caller pushes what `insert` and
//! `try_schedule` say to push).
//!
//! # Refusing
//!
//! At the end of close the loop stops taking tasks ([`Tasks::refuse_new`]):
//! a task spawned then — by a destructor or an `on_cancel` hook of a task
//! being dropped — never starts. Its future goes to a list the close
//! protocol drops in rounds (dropping it right inside `spawn` would recurse
//! when a destructor spawns again), and its handle yields a refused
//! `TaskError` ("the event loop is closing").
//!
//! # Protocol
//!
//! Every spawn, wake and completion goes through the slab, so it sits in an
//! `UnsafeCell`, not a `RefCell` (whose flag cost a check and two stores
//! each time). [`Tasks::with_slab`] gives `&mut` access to it only for one
//! call of a `TaskSlab` method (or a lookup and a reference-count clone);
//! none runs user code — they never drop a task reference (a removed task
//! is handed back and dropped by the caller afterwards) — so no
//! destructor, waker or future can run while the `&mut` lives and reach
//! the slab again. `UnsafeCell` makes
//! `Tasks` `!Sync`: only the loop's thread can call it.

use std::cell::{Cell, RefCell, UnsafeCell};

use super::address::TaskAddress;
use super::cell_cache::CellCache;
use super::error::TaskError;
use super::raw::TaskRef;
use super::slab::TaskSlab;

/// Why a task spawned during close never ran.
pub(crate) const REFUSED_CLOSING: &str = "spawn refused: the event loop is closing";

pub(crate) struct Tasks {
    slab: UnsafeCell<TaskSlab>,
    cells: CellCache,
    /// The address of the task being polled, packed (`address.rs`): one
    /// store per poll to set it, unpacked only when asked.
    current: Cell<Option<usize>>,
    /// The task being polled asked to run again (`yield_now`, see
    /// [`Tasks::request_requeue`]).
    requeue_current: Cell<bool>,
    refusing: Cell<bool>,
    /// Tasks spawned while refusing, waiting for their futures to be dropped.
    refused: RefCell<Vec<TaskRef>>,
}

impl Tasks {
    pub(crate) fn new() -> Tasks {
        Tasks {
            slab: UnsafeCell::new(TaskSlab::new()),
            cells: CellCache::new(),
            current: Cell::new(None),
            requeue_current: Cell::new(false),
            refusing: Cell::new(false),
            refused: RefCell::new(Vec::new()),
        }
    }

    /// Runs one `TaskSlab` method on the slab (module doc).
    #[inline(always)]
    fn with_slab<R>(&self, f: impl FnOnce(&mut TaskSlab) -> R) -> R {
        // SAFETY: every `f` (all in this file) is a `TaskSlab` method, a
        // lookup or a reference-count clone: none runs user code or drops a
        // task reference, so nothing can reach the slab again while the
        // `&mut` lives; `Tasks` is `!Sync` (module doc).
        f(unsafe { &mut *self.slab.get() })
    }

    /// Where task cells come from and go back to.
    #[inline]
    pub(crate) fn cells(&self) -> &CellCache {
        &self.cells
    }

    /// Live tasks.
    pub(crate) fn len(&self) -> usize {
        self.with_slab(|slab| slab.len())
    }

    /// Entries the slab holds, live or free.
    pub(crate) fn capacity(&self) -> usize {
        self.with_slab(|slab| slab.capacity())
    }

    /// Registers a new task of loop `loop_index` and returns its address.
    /// `None` while refusing (see the module doc).
    #[inline(always)]
    pub(crate) fn insert(&self, task: TaskRef, loop_index: u16) -> Option<TaskAddress> {
        if self.refusing.get() {
            self.refused.borrow_mut().push(task);
            return None;
        }
        Some(self.with_slab(|slab| slab.insert(task, loop_index)))
    }

    /// Gives back slab memory if it is far over its recent peak (`trim.rs`).
    pub(crate) fn trim(&self) {
        self.with_slab(TaskSlab::trim);
    }

    /// Marks the live task named by (slot, generation) scheduled. Returns
    /// the reference to queue when it was not scheduled yet; `None` if it is
    /// queued already or the name is stale.
    #[inline]
    pub(crate) fn schedule(&self, slot: u32, generation: u32) -> Option<TaskRef> {
        self.with_slab(|slab| {
            let task = slab.get(slot, generation)?;
            task.mark_scheduled().then(|| task.clone())
        })
    }

    /// Takes a finished task out of the slab and wakes its joiner.
    #[inline(always)]
    pub(crate) fn finish(&self, task: TaskRef) {
        let slab_ref = self.with_slab(|slab| slab.remove(task.address().slot));
        drop(slab_ref);
        if let Some(waker) = task.take_join_waker() {
            waker.wake();
        }
    }

    /// The live task named by (slot, generation).
    pub(crate) fn get(&self, slot: u32, generation: u32) -> Option<TaskRef> {
        self.with_slab(|slab| slab.get(slot, generation).cloned())
    }

    /// Records which task is being polled (`None` between polls).
    #[inline]
    pub(crate) fn set_current(&self, current: Option<&TaskRef>) {
        self.current.set(current.map(TaskRef::packed_address));
    }

    /// Whether `waker` is the waker of the task being polled: the packed
    /// address recorded for the poll is the waker's data word itself.
    #[inline]
    pub(crate) fn is_current_waker(&self, waker: &std::task::Waker) -> bool {
        self.current
            .get()
            .is_some_and(|packed| super::waker::is_task_waker(packed, waker))
    }

    /// The task being polled asks to be queued again when its poll returns
    /// `Pending` — what waking its own waker would do, without the lookup:
    /// the scheduler still holds the task (`yield_now`'s fast path).
    #[inline]
    pub(crate) fn request_requeue(&self) {
        self.requeue_current.set(true);
    }

    /// Whether the poll that just ended asked to be queued again; clears it.
    #[inline]
    pub(crate) fn take_requeue(&self) -> bool {
        self.requeue_current.replace(false)
    }

    /// The task being polled, if any: O(1).
    pub(crate) fn current(&self) -> Option<TaskRef> {
        let (slot, generation) = self.current_slot()?;
        self.get(slot, generation)
    }

    /// Every live task with its slot and generation.
    pub(crate) fn snapshot(&self) -> Vec<(u32, u32, TaskRef)> {
        self.with_slab(|slab| {
            slab.iter()
                .map(|(slot, generation, task)| (slot, generation, task.clone()))
                .collect()
        })
    }

    /// Whether (slot, generation) names a live task.
    pub(crate) fn is_live(&self, slot: u32, generation: u32) -> bool {
        self.with_slab(|slab| slab.get(slot, generation).is_some())
    }

    /// (slot, generation) of the task being polled.
    pub(crate) fn current_slot(&self) -> Option<(u32, u32)> {
        let address = TaskAddress::unpack(self.current.get()?);
        Some((address.slot, address.generation))
    }

    /// From now on new tasks are refused (module doc).
    pub(crate) fn refuse_new(&self) {
        self.refusing.set(true);
    }

    /// Drops the futures of the tasks refused so far; true if there were any.
    pub(crate) fn drop_refused(&self) -> bool {
        let refused = std::mem::take(&mut *self.refused.borrow_mut());
        let any = !refused.is_empty();
        for task in refused {
            task.drop_future(TaskError::refused(REFUSED_CLOSING));
        }
        any
    }

    /// Leaks what is still refused (a destructor chain that spawns forever);
    /// returns how many.
    pub(crate) fn leak_refused(&self) -> usize {
        let left = std::mem::take(&mut *self.refused.borrow_mut());
        let n = left.len();
        std::mem::forget(left);
        n
    }
}
