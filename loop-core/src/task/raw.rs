//! The task cell: one heap allocation per spawned task.
//!
//! # Layout
//!
//! `spawn` allocates one `TaskCell<F>` (recycled through `cell_cache.rs`): a [`Header`] followed by the task's
//! *stage* — the future while it runs, then its output (or the error that
//! ended it), then nothing once a joiner took the output. The header starts
//! with a pointer to a vtable of functions monomorphised for `F`, so code
//! that only knows the header (the scheduler, the slab, a `Task<T>` handle)
//! can poll, cancel, read or free the cell without knowing `F`.
//!
//! # Protocol
//!
//! * **Ownership** is counted in `Header::refs`, a plain `Cell<u32>`: the
//!   task is single-threaded, so no atomic is needed. Every [`TaskRef`] owns
//!   one count; the slab holds one while the task is live, the `Task<T>`
//!   handle holds one until it is dropped, and the scheduler holds one for
//!   the duration of a poll. The cell is freed when the count reaches zero.
//!   `TaskRef` is `!Send`, so counts never cross threads. A count that
//!   would overflow (2^32 - 1 leaked handles) aborts the process, as
//!   `std::rc::Rc` does: wrapping would free the cell under a live handle.
//! * **State bits** (`Header::state`):
//!   - `RUNNING`: set while the future is being polled or dropped. Polling a
//!     running task again (re-entrancy) panics instead of aliasing the future.
//!   - `COMPLETE`: the stage holds the output (or the error); the future has
//!     been dropped. Set exactly once.
//!   - `CANCEL_REQUESTED`: `Task::cancel` asked for the future to be dropped
//!     the next time the scheduler reaches the task, instead of polling it.
//!     If the request arrives during the poll that completes the task, the
//!     output is dropped and the task ends cancelled all the same (asyncio
//!     does this): `cancel()` returning true always means "cancelled".
//!   - `MAIN`: the loop's main task (`main_task.rs`), named `"main"`
//!     without a name allocation.
//!   - `AWAITED`, `DETACHED`: state of the task's one `Task` handle (it is
//!     not `Clone`), kept here so the handle stays one word: it was polled
//!     while the task ran; it must never pass a cancellation on
//!     (`handle.rs`).
//!   - `SCHEDULED`: the task is in the run queue. A wake queues the task
//!     only when it sets this bit, so a task is queued at most once; the
//!     scheduler clears it when it takes the task off the queue, just
//!     before polling it.
//! * **The stage** is only touched through the vtable functions below, each
//!   of which runs with exclusive access: the loop thread is the only thread
//!   that can hold a `TaskRef`, and `RUNNING` rules out re-entrancy.
//! * **Typed output**: [`OutputRef<T>`] is created together with the cell,
//!   with `T = F::Output`, and is the only way to read the output, so the
//!   type-erased read in the vtable is always called with the right type.

use std::alloc::Layout;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::address::TaskAddress;
use super::cell_cache::{self, CellCache};
use super::error::TaskError;
use super::id::TaskId;

const RUNNING: u8 = 1;
const COMPLETE: u8 = 2;
const CANCEL_REQUESTED: u8 = 4;
const MAIN: u8 = 8;
const AWAITED: u8 = 16;
const DETACHED: u8 = 32;
const SCHEDULED: u8 = 64;

/// Functions that know the concrete future type of a cell.
struct VTable {
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> bool,
    drop_future: unsafe fn(NonNull<Header>, TaskError),
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    cancel_output: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
}

/// The part of a task cell that does not depend on the future's type.
pub(crate) struct Header {
    vtable: &'static VTable,
    state: Cell<u8>,
    refs: Cell<u32>,
    id: TaskId,
    /// Boxed so an unnamed task pays one word for it, not three.
    #[allow(clippy::box_collection)]
    name: Option<Box<String>>,
    join_waker: Cell<Option<Waker>>,
    spawned_at: &'static Location<'static>,
    /// Where the task lives, packed as its waker's data word
    /// (`address.rs`): set once, when the slab takes the task. Kept packed
    /// because every poll needs the waker and only a few paths need the
    /// parts.
    address: Cell<usize>,
    /// How many times the future was polled.
    polls: Cell<u32>,
    /// Monitor only: time spent in polls, in counter ticks.
    busy_ticks: Cell<u64>,
    /// Monitor only: stamp of the wake that queued the task.
    woken_at: Cell<u64>,
    /// Monitor only: when it was spawned, in µs on the coarse clock's
    /// scale; 0 when no monitor was on.
    born_us: Cell<u64>,
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, TaskError>),
    Consumed,
}

impl<F: Future> Stage<F> {
    /// Whether dropping the stage would run any code: not when the output
    /// was taken, nor when it was never taken but has no destructor (a
    /// detached `()` task, the usual fire-and-forget end).
    #[inline]
    fn needs_drop(&self) -> bool {
        match self {
            Stage::Consumed => false,
            Stage::Finished(Ok(_)) => std::mem::needs_drop::<F::Output>(),
            _ => true,
        }
    }
}

#[repr(C)]
struct TaskCell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// An owning, reference-counted pointer to a task cell.
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
}

/// The typed right to read a task's output; lives in `Task<T>`.
pub(crate) struct OutputRef<T> {
    task: TaskRef,
    _output: PhantomData<T>,
}

impl TaskRef {
    /// Allocates the cell for `future`. Returns the reference for the slab,
    /// the one for the run queue (the first poll) and the typed reference
    /// for the `Task<T>` handle: the count starts at three, so nothing
    /// needs a clone and its overflow check.
    #[inline]
    pub(crate) fn allocate<F: Future + 'static>(
        cells: &CellCache,
        future: F,
        id: TaskId,
        name: Option<String>,
        spawned_at: &'static Location<'static>,
    ) -> (TaskRef, TaskRef, OutputRef<F::Output>) {
        let layout = Layout::new::<TaskCell<F>>();
        let block = cells.acquire(layout).cast::<TaskCell<F>>();
        let cell = TaskCell {
            header: Header {
                vtable: vtable_for::<F>(),
                state: Cell::new(0),
                refs: Cell::new(3),
                id,
                name: name.map(Box::new),
                join_waker: Cell::new(None),
                spawned_at,
                address: Cell::new(TaskAddress::UNSET.pack()),
                polls: Cell::new(0),
                busy_ticks: Cell::new(0),
                woken_at: Cell::new(0),
                born_us: Cell::new(0),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        };
        // SAFETY: `block` is fresh memory with the layout of `TaskCell<F>`.
        unsafe { block.as_ptr().write(cell) };
        let ptr = block.cast::<Header>();
        (
            TaskRef { ptr },
            TaskRef { ptr },
            OutputRef {
                task: TaskRef { ptr },
                _output: PhantomData,
            },
        )
    }

    #[inline]
    fn header(&self) -> &Header {
        // SAFETY: this TaskRef owns a count, so the cell is alive; the header
        // is only read through shared references (its mutable parts are Cells).
        unsafe { self.ptr.as_ref() }
    }

    /// The cell's address, for the stall watchdog's signal handler
    /// ([`TaskRef::describe_raw`]); never dereferenced by anyone else.
    #[inline]
    pub(crate) fn as_raw(&self) -> *const () {
        self.ptr.as_ptr().cast()
    }

    /// The id, the name given at spawn (`None`: `Task-N`) and the spawn
    /// site of the task whose cell is at `raw`, read without allocating or
    /// touching any `Cell`, so that a signal handler may call it.
    ///
    /// # Safety
    /// `raw` came from [`TaskRef::as_raw`] and a `TaskRef` to the cell is
    /// alive for `'a` (the stall handler checks that the poll that holds one
    /// is still running on this very thread). These three fields are never
    /// written after the cell is created.
    pub(crate) unsafe fn describe_raw<'a>(raw: *const ()) -> (TaskId, Option<&'a str>, &'static Location<'static>) {
        // SAFETY: the caller guarantees the cell is alive for 'a.
        let header = unsafe { &*raw.cast::<Header>() };
        (header.id, header.name.as_deref().map(|s| s.as_str()), header.spawned_at)
    }

    #[inline]
    fn has(&self, bit: u8) -> bool {
        self.header().state.get() & bit != 0
    }

    #[inline]
    fn set(&self, bit: u8) {
        let state = &self.header().state;
        state.set(state.get() | bit);
    }

    /// Records where the task lives (loop, slab slot, generation).
    #[inline]
    pub(crate) fn set_address(&self, address: TaskAddress) {
        self.header().address.set(address.pack());
    }

    /// Where the task lives, which is also what its waker names.
    #[inline]
    pub(crate) fn address(&self) -> TaskAddress {
        TaskAddress::unpack(self.header().address.get())
    }

    /// Where the task lives, packed as its waker's data word.
    #[inline]
    pub(crate) fn packed_address(&self) -> usize {
        self.header().address.get()
    }

    /// The task's waker, for the scheduler's poll (`waker.rs`).
    #[inline]
    pub(crate) fn poll_waker(&self) -> std::mem::ManuallyDrop<Waker> {
        super::waker::poll_waker(self.header().address.get())
    }

    /// How many times the future was polled.
    pub(crate) fn polls(&self) -> u32 {
        self.header().polls.get()
    }

    /// Monitor: time spent in polls, in counter ticks.
    pub(crate) fn busy_ticks(&self) -> u64 {
        self.header().busy_ticks.get()
    }

    #[inline]
    pub(crate) fn add_busy_ticks(&self, ticks: u64) {
        let busy = &self.header().busy_ticks;
        busy.set(busy.get() + ticks);
    }

    /// Monitor: stamp of the wake that queued the task.
    #[inline]
    pub(crate) fn woken_at(&self) -> u64 {
        self.header().woken_at.get()
    }

    #[inline]
    pub(crate) fn set_woken_at(&self, stamp: u64) {
        self.header().woken_at.set(stamp);
    }

    /// Monitor: when the task was spawned (µs, coarse clock), 0 if unknown.
    pub(crate) fn born_us(&self) -> u64 {
        self.header().born_us.get()
    }

    #[inline]
    pub(crate) fn set_born_us(&self, us: u64) {
        self.header().born_us.set(us);
    }

    /// The task's id.
    pub(crate) fn id(&self) -> TaskId {
        self.header().id
    }

    /// The task's name, `Task-N` when none was given.
    pub(crate) fn name(&self) -> String {
        match &self.header().name {
            Some(name) => name.to_string(),
            None if self.has(MAIN) => super::main_task::MAIN_TASK_NAME.to_string(),
            None => format!("Task-{}", self.header().id),
        }
    }

    /// The `Task` handle was polled while the task was not finished.
    #[inline]
    pub(crate) fn mark_awaited(&self) {
        self.set(AWAITED);
    }

    /// The `Task` handle must never pass a cancellation on.
    #[inline]
    pub(crate) fn mark_detached(&self) {
        self.set(DETACHED);
    }

    /// Whether dropping the `Task` handle during a cancellation cancels the
    /// task: it was awaited, is not detached, and has not finished.
    #[inline]
    pub(crate) fn passes_cancellation_on(&self) -> bool {
        self.header().state.get() & (AWAITED | DETACHED | COMPLETE) == AWAITED
    }

    /// Marks the loop's main task (named "main").
    #[inline]
    pub(crate) fn mark_main(&self) {
        self.set(MAIN);
    }

    /// Where `spawn` was called for this task.
    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        self.header().spawned_at
    }

    #[inline]
    pub(crate) fn is_complete(&self) -> bool {
        self.has(COMPLETE)
    }

    /// Sets `SCHEDULED`; true if it was clear, when the caller must queue
    /// the task.
    #[inline]
    pub(crate) fn mark_scheduled(&self) -> bool {
        let state = &self.header().state;
        let s = state.get();
        state.set(s | SCHEDULED);
        s & SCHEDULED == 0
    }

    /// The scheduler took the task off the run queue: clears `SCHEDULED`.
    /// False if the task is complete (it was queued by a wake during the
    /// poll that finished it, or was dropped by the close protocol): then
    /// there is nothing to run.
    #[inline]
    pub(crate) fn take_scheduled(&self) -> bool {
        let state = &self.header().state;
        let s = state.get();
        state.set(s & !SCHEDULED);
        s & COMPLETE == 0
    }

    /// Whether the task is in the run queue.
    #[inline]
    pub(crate) fn is_scheduled(&self) -> bool {
        self.has(SCHEDULED)
    }

    #[inline]
    pub(crate) fn is_cancel_requested(&self) -> bool {
        self.has(CANCEL_REQUESTED)
    }

    /// Marks the task for cancellation; the scheduler drops the future the
    /// next time it reaches the task. Returns false if already complete.
    #[inline]
    pub(crate) fn request_cancel(&self) -> bool {
        if self.is_complete() {
            return false;
        }
        self.set(CANCEL_REQUESTED);
        true
    }

    #[inline]
    fn begin(&self) {
        assert!(
            !self.has(RUNNING),
            "evloop: task {} was polled from inside its own poll",
            self.name()
        );
        self.set(RUNNING);
    }

    #[inline]
    fn end(&self, complete: bool) {
        let state = &self.header().state;
        let mut s = state.get() & !RUNNING;
        if complete {
            s |= COMPLETE;
        }
        state.set(s);
    }

    /// Polls the future once. Returns true when the task is complete: the
    /// future returned `Ready` or panicked (the panic is stored as its error).
    /// The task must not be complete: the scheduler checks that when it
    /// takes the task off the run queue ([`TaskRef::take_scheduled`]).
    #[inline]
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> bool {
        debug_assert!(!self.is_complete(), "a complete task was polled");
        self.begin();
        let header = self.header();
        header.polls.set(header.polls.get().wrapping_add(1));
        // SAFETY: RUNNING is set, so nothing else touches the stage until
        // `end`; the vtable was built for this cell's future type.
        let done = unsafe { (header.vtable.poll)(self.ptr, cx) };
        if done && self.has(CANCEL_REQUESTED) {
            // Cancelled during the poll that completed it: the task ends
            // cancelled, its output is dropped.
            // SAFETY: RUNNING is still set, as above.
            unsafe { (header.vtable.cancel_output)(self.ptr) };
        }
        self.end(done);
        done
    }

    /// Drops the future now and stores `reason` as the task's result.
    /// Does nothing if the task is already complete.
    #[inline]
    pub(crate) fn drop_future(&self, reason: TaskError) {
        if self.is_complete() {
            return;
        }
        self.begin();
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.drop_future)(self.ptr, reason) };
        self.end(true);
    }

    /// Takes the waker of whoever awaits the handle.
    #[inline]
    pub(crate) fn take_join_waker(&self) -> Option<Waker> {
        self.header().join_waker.take()
    }

    #[cfg(test)]
    pub(crate) fn refs_for_test(&self) -> u32 {
        self.header().refs.get()
    }
}

impl Clone for TaskRef {
    #[inline]
    fn clone(&self) -> Self {
        let refs = &self.header().refs;
        match refs.get().checked_add(1) {
            Some(n) => refs.set(n),
            None => refs_overflow(),
        }
        TaskRef { ptr: self.ptr }
    }
}

impl Drop for TaskRef {
    #[inline]
    fn drop(&mut self) {
        let refs = &self.header().refs;
        let n = refs.get() - 1;
        refs.set(n);
        if n == 0 {
            // SAFETY: this was the last count, so nobody else can reach the
            // cell; the vtable's dealloc matches the allocation in `allocate`.
            unsafe { (self.header().vtable.dealloc)(self.ptr) };
        }
    }
}

impl<T> OutputRef<T> {
    /// The untyped reference, for `cancel`, `id` and friends.
    #[inline]
    pub(crate) fn task(&self) -> &TaskRef {
        &self.task
    }

    /// Returns the output if the task is complete; otherwise remembers the
    /// waker to wake on completion.
    #[inline]
    pub(crate) fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        if !self.task.is_complete() {
            let header = self.task.header();
            let waker = match header.join_waker.take() {
                Some(w) if w.will_wake(cx.waker()) => w,
                _ => cx.waker().clone(),
            };
            header.join_waker.set(Some(waker));
            return Poll::Pending;
        }
        let mut out = ManuallyDrop::new(None::<Result<T, TaskError>>);
        // SAFETY: `OutputRef<T>` is only created by `allocate` with
        // `T = F::Output`, so `take_output` writes an `Option<Result<T, _>>`.
        // The task is complete, so nothing else touches the stage now.
        unsafe { (self.task.header().vtable.take_output)(self.task.ptr, (&mut *out as *mut Option<_>).cast()) };
        match ManuallyDrop::into_inner(out) {
            Some(result) => Poll::Ready(result),
            None => panic!(
                "evloop: Task handle of {} polled again after it returned its output",
                self.task.name()
            ),
        }
    }
}

fn vtable_for<F: Future + 'static>() -> &'static VTable {
    struct Holder<F>(PhantomData<F>);
    impl<F: Future + 'static> Holder<F> {
        const VTABLE: VTable = VTable {
            poll: poll_cell::<F>,
            drop_future: drop_future_cell::<F>,
            take_output: take_output_cell::<F>,
            cancel_output: cancel_output_cell::<F>,
            dealloc: dealloc_cell::<F>,
        };
    }
    &Holder::<F>::VTABLE
}

/// # Safety
/// `ptr` must point to a live `TaskCell<F>` to which the caller has
/// exclusive access (the RUNNING bit is set).
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    // SAFETY: guaranteed by the caller; `TaskCell` is `repr(C)` with the
    // header first, so the header pointer is the cell pointer.
    unsafe { &mut *ptr.cast::<TaskCell<F>>().as_ref().stage.get() }
}

/// Drops a value whose destructor may panic, without letting the panic out.
/// A panic payload whose own destructor panics is leaked rather than dropped.
fn drop_quietly<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}

/// Drops the future where it lies (catching a panicking destructor) and
/// leaves `result` in the stage; a panicking destructor replaces an `Ok`.
///
/// The stage holds a valid value again (`Consumed`) before anything that
/// could panic runs, so an unwind can never lead to a second drop.
///
/// # Safety
/// `stage` must be valid, hold `Stage::Running`, and be exclusively ours.
#[inline]
unsafe fn finish_with<F: Future>(stage: *mut Stage<F>, result: Result<F::Output, TaskError>) {
    // SAFETY: the future is pinned inside the cell, so it must be dropped in
    // place, never moved; drop glue still drops every field if one panics.
    let dropped = catch_unwind(AssertUnwindSafe(|| unsafe { std::ptr::drop_in_place(stage) }));
    match dropped {
        // The common case: nothing can panic between the drop and the write.
        // SAFETY: the old value was dropped just above; writing does not drop it again.
        Ok(()) => unsafe { std::ptr::write(stage, Stage::Finished(result)) },
        Err(panic) => {
            // SAFETY: as above; the stage is valid again before anything
            // else (the drops in `finish_with_cold`) can panic.
            unsafe { std::ptr::write(stage, Stage::Consumed) };
            // SAFETY: the stage holds `Consumed`, and it is ours.
            unsafe { finish_with_cold(stage, result, panic) };
        }
    }
}

/// The future's destructor panicked: that panic becomes the task's error,
/// unless the task already ended with one (then the new panic is dropped).
///
/// # Safety
/// `stage` must be valid, hold `Stage::Consumed`, and be exclusively ours.
#[cold]
unsafe fn finish_with_cold<F: Future>(
    stage: *mut Stage<F>,
    result: Result<F::Output, TaskError>,
    panic: Box<dyn std::any::Any + Send>,
) {
    let result = match result {
        Ok(output) => {
            drop_quietly(output);
            Err(TaskError::panic(panic))
        }
        Err(e) => {
            drop_quietly(panic);
            Err(e)
        }
    };
    // SAFETY: the stage holds `Consumed` (no destructor), and we have exclusive access.
    unsafe { *stage = Stage::Finished(result) };
}

unsafe fn poll_cell<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> bool {
    // SAFETY: the vtable is only called by `TaskRef::poll` with RUNNING set.
    let stage = unsafe { stage::<F>(ptr) };
    let Stage::Running(future) = stage else {
        return true;
    };
    // SAFETY: the future lives in the heap cell and is never moved: it is
    // dropped in place by `finish_with` and the cell is freed only after.
    let pinned = unsafe { Pin::new_unchecked(future) };
    match catch_unwind(AssertUnwindSafe(|| pinned.poll(cx))) {
        Ok(Poll::Pending) => false,
        Ok(Poll::Ready(output)) => {
            // SAFETY: the stage holds Running and we have exclusive access.
            unsafe { finish_ok(stage, output) };
            true
        }
        Err(panic) => {
            // SAFETY: as above.
            unsafe { finish_with(stage, Err(TaskError::panic(panic))) };
            true
        }
    }
}

/// [`finish_with`] for the common end, an output: the output goes straight
/// from the poll into the stage, never through a `Result` on the stack.
/// (Copying a `Result` that was just written field by field made the CPU
/// wait for the stores to land: a quarter of chained_spawn's time, by
/// `perf annotate`.)
///
/// # Safety
/// As for [`finish_with`].
#[inline]
unsafe fn finish_ok<F: Future>(stage: *mut Stage<F>, output: F::Output) {
    // The future itself is dropped, not the stage: the caller knows the
    // stage holds `Running`, so the stage's drop glue (an out-of-line
    // match over its variants) has nothing to decide.
    // SAFETY: the stage holds `Running`, so it is a valid `F`, dropped in
    // place, never moved; the whole stage is overwritten just after.
    let future: *mut F = match unsafe { &mut *stage } {
        Stage::Running(future) => future,
        _ => unreachable!("finish_ok on a stage that is not running"),
    };
    // SAFETY: `future` is the running future, pinned in the cell: dropped
    // in place, once; the stage is overwritten right after, in both arms.
    match catch_unwind(AssertUnwindSafe(|| unsafe { std::ptr::drop_in_place(future) })) {
        // SAFETY: the old value was dropped just above.
        Ok(()) => unsafe { std::ptr::write(stage, Stage::Finished(Ok(output))) },
        Err(panic) => {
            // SAFETY: the stage must hold a valid value before anything else can panic.
            unsafe { std::ptr::write(stage, Stage::Consumed) };
            // SAFETY: the stage holds `Consumed`, and it is ours.
            unsafe { finish_with_cold(stage, Ok(output), panic) };
        }
    }
}

/// 2^32 - 1 counts: some code leaked handles in a loop (`mem::forget`).
#[cold]
#[inline(never)]
fn refs_overflow() -> ! {
    eprintln!("evloop: a task's reference count overflowed (2^32 - 1 handles were leaked); aborting");
    std::process::abort()
}

unsafe fn drop_future_cell<F: Future>(ptr: NonNull<Header>, reason: TaskError) {
    // SAFETY: called by `TaskRef::drop_future` with RUNNING set.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Running(_) = stage {
        // SAFETY: the stage holds Running and we have exclusive access.
        unsafe { finish_with(stage, Err(reason)) };
    }
}

/// A cancel arrived during the poll that completed the task: replace an
/// `Ok` output with the cancellation, dropping the output (quietly).
#[cold]
unsafe fn cancel_output_cell<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: called by `TaskRef::poll` with RUNNING set.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Finished(Ok(_)) = stage {
        if let Stage::Finished(Ok(output)) = std::mem::replace(stage, Stage::Finished(Err(TaskError::cancelled()))) {
            drop_quietly(output);
        }
    }
}

unsafe fn take_output_cell<F: Future>(ptr: NonNull<Header>, out: *mut ()) {
    // SAFETY: called by `OutputRef::poll_output` on a complete task; no
    // other access to the stage is possible then.
    let stage = unsafe { stage::<F>(ptr) };
    let value = match stage {
        Stage::Finished(_) => match std::mem::replace(stage, Stage::Consumed) {
            Stage::Finished(result) => Some(result),
            _ => unreachable!(),
        },
        _ => None,
    };
    // SAFETY: `out` points to an `Option<Result<F::Output, TaskError>>`
    // (see `poll_output`), whose old value (None) needs no drop.
    unsafe { out.cast::<Option<Result<F::Output, TaskError>>>().write(value) };
}

unsafe fn dealloc_cell<F: Future>(ptr: NonNull<Header>) {
    let cell = ptr.cast::<TaskCell<F>>();
    let raw = cell.as_ptr();
    // A panicking destructor must not abort a loop that is already
    // unwinding, nor leak the block: catch it, report it, free the block. A
    // stage whose output was taken (the common end), or whose output has no
    // destructor (a detached `()` task), holds nothing to drop: skipping its
    // drop glue, an out-of-line call, saves about 14 instructions a task
    // (`benches/count_instructions.sh`, spawn_many and chained_spawn).
    // SAFETY: called once, by the last `TaskRef`: the cell is initialised and
    // nobody else can reach it. It is dropped in place (the future, if still
    // there, never moves) — the header alone when the stage has nothing to
    // drop (`Stage::needs_drop`) — then its block goes back to the cell cache
    // it came from in `allocate`, with the same layout.
    let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
        if !(*(*raw).stage.get()).needs_drop() {
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*raw).header));
        } else {
            std::ptr::drop_in_place(raw);
        }
    }));
    if let Err(payload) = dropped {
        drop_quietly(payload);
        eprintln!("evloop: a task's output or name panicked while being dropped; the panic was discarded");
    }
    let layout = Layout::new::<TaskCell<F>>();
    // The block goes to the cache of whichever loop runs on this thread now
    // (any cache may hold any block of its class, see `cell_cache.rs`), or
    // back to the allocator when none does.
    let kept = crate::context::try_with_core(|core| {
        // SAFETY: the block came from a cell cache's `acquire(layout)` (of
        // this loop or another: the classes are the same everywhere) and its
        // cell was dropped just above.
        unsafe { core.tasks().cells().release(cell.cast(), layout) }
    });
    if kept.is_none() {
        // SAFETY: as above; no loop runs here to take the block.
        unsafe { cell_cache::release_to_allocator(cell.cast(), layout) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// Counts its drops; `'static` so it fits a task.
    #[derive(Debug)]
    struct Tracked(Rc<Cell<u32>>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    /// A cell with two references: the task's and the handle's (the
    /// run queue's is dropped at once).
    fn cell<F: Future + 'static>(future: F) -> (TaskRef, OutputRef<F::Output>) {
        let (task, queued, out) =
            TaskRef::allocate(&CellCache::new(), future, TaskId::next(), None, Location::caller());
        drop(queued);
        (task, out)
    }

    /// An output nobody took whose destructor panics: the panic is caught,
    /// and the rest of the cell — here the joiner's waker in the header —
    /// is still dropped.
    #[test]
    fn a_panicking_output_destructor_still_lets_the_header_go() {
        struct PanicsOnDrop(Rc<Cell<u32>>);
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
                panic!("output destructor");
            }
        }
        struct CountingWaker(std::sync::atomic::AtomicU32);
        impl std::task::Wake for CountingWaker {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let drops = Rc::new(Cell::new(0));
        let d = drops.clone();
        let (task, out) = cell(async move { PanicsOnDrop(d) });
        let joiner = std::sync::Arc::new(CountingWaker(std::sync::atomic::AtomicU32::new(0)));
        let waker = Waker::from(joiner.clone());
        assert!(out.poll_output(&mut Context::from_waker(&waker)).is_pending());
        drop(waker);
        assert_eq!(
            std::sync::Arc::strong_count(&joiner),
            2,
            "the header holds the joiner's waker"
        );
        assert!(poll_once(&task));
        drop(task);
        drop(out); // the last reference: the cell is freed
        assert_eq!(drops.get(), 1, "the output was dropped once");
        assert_eq!(
            std::sync::Arc::strong_count(&joiner),
            1,
            "the joiner's waker was dropped"
        );
    }

    fn poll_once(task: &TaskRef) -> bool {
        task.poll(&mut Context::from_waker(Waker::noop()))
    }

    fn output<T>(out: &OutputRef<T>) -> Result<T, TaskError> {
        match out.poll_output(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(result) => result,
            Poll::Pending => panic!("the task is not complete"),
        }
    }

    #[test]
    fn a_task_runs_to_its_output_once() {
        let (task, out) = cell(async { 42 });
        assert!(!task.is_complete());
        assert!(out.poll_output(&mut Context::from_waker(Waker::noop())).is_pending());
        assert!(poll_once(&task));
        assert!(task.is_complete());
        assert_eq!(task.polls(), 1);
        assert_eq!(output(&out).unwrap(), 42);
        let again = catch_unwind(AssertUnwindSafe(|| output(&out)));
        assert!(again.is_err(), "a second read of the output panics");
    }

    #[test]
    fn a_panic_in_poll_becomes_the_tasks_error() {
        let (task, out) = cell(async { panic!("inside the task") });
        assert!(poll_once(&task));
        let err = output(&out).unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("inside the task"));
    }

    #[test]
    fn drop_future_drops_in_place_and_ends_with_the_reason() {
        let drops = Rc::new(Cell::new(0));
        let guard = Tracked(drops.clone());
        let (task, out) = cell(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        assert!(!poll_once(&task));
        task.drop_future(TaskError::cancelled());
        assert_eq!(drops.get(), 1, "the future was dropped at once");
        assert!(output(&out).unwrap_err().is_cancelled());
        task.drop_future(TaskError::cancelled());
        assert_eq!(drops.get(), 1, "a second drop does nothing");
    }

    #[test]
    fn a_cancel_during_the_completing_poll_drops_the_output() {
        let drops = Rc::new(Cell::new(0));
        let value = Tracked(drops.clone());
        let (task, out) = cell(async move { value });
        // The scheduler checks the bit before a poll; a cancel that arrives
        // while the task runs (it cancels itself) is seen only after.
        assert!(task.request_cancel());
        assert!(poll_once(&task));
        assert_eq!(drops.get(), 1, "the output was dropped");
        assert!(output(&out).unwrap_err().is_cancelled());
        assert!(!task.request_cancel(), "complete: a later cancel returns false");
    }

    #[test]
    fn the_cell_is_freed_with_the_last_reference() {
        let drops = Rc::new(Cell::new(0));
        let value = Tracked(drops.clone());
        let (task, out) = cell(async move { value });
        let extra = task.clone();
        assert_eq!(task.refs_for_test(), 3);
        assert!(poll_once(&task));
        drop(task);
        drop(out);
        assert_eq!(drops.get(), 0, "one reference is left: the output lives");
        drop(extra);
        assert_eq!(drops.get(), 1, "the last reference dropped the unread output");
    }

    #[test]
    fn a_panicking_output_destructor_does_not_escape_the_free() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("output destructor");
            }
        }
        let (task, out) = cell(async { Bomb });
        assert!(poll_once(&task));
        drop(out);
        drop(task); // reported on stderr, not unwound
    }

    #[test]
    fn a_reference_count_overflow_aborts() {
        const CHILD: &str = "EVLOOP_REFS_OVERFLOW_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let (task, _out) = cell(async {});
            task.header().refs.set(u32::MAX - 1);
            let one = task.clone();
            let _two = one.clone(); // overflows: must abort, not wrap
            unreachable!("the count wrapped");
        }
        let exe = std::env::current_exe().unwrap();
        let child = std::process::Command::new(exe)
            .args([
                "--exact",
                "task::raw::tests::a_reference_count_overflow_aborts",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&child.stderr);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(child.status.signal(), Some(libc::SIGABRT), "{stderr}");
        assert!(stderr.contains("reference count overflowed"), "{stderr}");
    }
}
