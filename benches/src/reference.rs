//! The reference loop: the least a single-threaded executor must do, written
//! for the instruction table of `docs/benchmarks.md` alone.
//!
//! It has a ready queue of boxed tasks and the cheapest waker we know how
//! to build without `unsafe`: the waker's data word is the task's index in
//! a thread-local table, so cloning and dropping it cost nothing and waking
//! it is an index, a flag and a push. No timers, no I/O, no cancellation,
//! no names, no stats, no wakes from other threads (a wake on a thread
//! without a running reference loop is ignored), no panic isolation: every
//! instruction evloop spends beyond this loop buys one of those, or is
//! waste.
//!
//! Slots are reused without generations, so a stale waker may poll the next
//! task of its slot once more — the `Future` contract allows spurious polls.
//!
//! ```
//! let out = evloop_benches::reference::block_on(async {
//!     let t = evloop_benches::reference::spawn(async { 6 * 7 });
//!     evloop_benches::reference::yield_now().await;
//!     t.await
//! });
//! assert_eq!(out, 42);
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

type BoxedTask = Pin<Box<dyn Future<Output = ()>>>;

/// One loop's state, in a thread-local while `block_on` runs.
#[derive(Default)]
struct Executor {
    /// Task futures by index; `None` while polled or once finished.
    tasks: RefCell<Vec<Option<BoxedTask>>>,
    /// Whether each index is in `ready` (deduplicates wakes).
    queued: RefCell<Vec<bool>>,
    free: RefCell<Vec<usize>>,
    ready: RefCell<VecDeque<usize>>,
    main_woken: Cell<bool>,
}

thread_local! {
    static EXECUTOR: Rc<Executor> = Rc::new(Executor::default());
}

/// The waker's data word for the `block_on` future.
const MAIN: usize = usize::MAX;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop_waker);

fn clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake(data: *const ()) {
    let index = data.addr();
    EXECUTOR.with(|ex| {
        if index == MAIN {
            ex.main_woken.set(true);
            return;
        }
        let mut queued = ex.queued.borrow_mut();
        if let Some(flag) = queued.get_mut(index) {
            if !*flag {
                *flag = true;
                ex.ready.borrow_mut().push_back(index);
            }
        }
    });
}

fn drop_waker(_: *const ()) {}

fn waker_for(index: usize) -> Waker {
    // SAFETY: the data word is an index, never dereferenced; the vtable's
    // functions are thread-safe (they touch only this thread's executor).
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::without_provenance(index), &VTABLE)) }
}

/// What a [`JoinHandle`] and its task share.
struct Join<T> {
    output: Cell<Option<T>>,
    waker: Cell<Option<Waker>>,
}

/// Awaits a task's output.
pub struct JoinHandle<T> {
    join: Rc<Join<T>>,
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinHandle")
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.join.output.take() {
            Some(v) => Poll::Ready(v),
            None => {
                self.join.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

/// Queues `fut` as a task; it first runs on the next turn.
pub fn spawn<F: Future + 'static>(fut: F) -> JoinHandle<F::Output> {
    let join = Rc::new(Join {
        output: Cell::new(None),
        waker: Cell::new(None),
    });
    let theirs = join.clone();
    let task: BoxedTask = Box::pin(async move {
        let v = fut.await;
        theirs.output.set(Some(v));
        if let Some(w) = theirs.waker.take() {
            w.wake();
        }
    });
    EXECUTOR.with(|ex| {
        let index = match ex.free.borrow_mut().pop() {
            Some(i) => {
                ex.tasks.borrow_mut()[i] = Some(task);
                ex.queued.borrow_mut()[i] = true;
                i
            }
            None => {
                let mut tasks = ex.tasks.borrow_mut();
                tasks.push(Some(task));
                ex.queued.borrow_mut().push(true);
                tasks.len() - 1
            }
        };
        ex.ready.borrow_mut().push_back(index);
    });
    JoinHandle { join }
}

/// Pending once, waking itself; then ready.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Runs `fut` to completion, with every task it spawns.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let ex = EXECUTOR.with(Rc::clone);
    let mut fut = std::pin::pin!(fut);
    let main_waker = waker_for(MAIN);
    ex.main_woken.set(true);
    loop {
        if ex.main_woken.replace(false) {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut Context::from_waker(&main_waker)) {
                return v;
            }
        }
        // One turn: what is ready now; what it wakes waits for the next.
        let n = ex.ready.borrow().len();
        for _ in 0..n {
            let Some(index) = ex.ready.borrow_mut().pop_front() else {
                break;
            };
            ex.queued.borrow_mut()[index] = false;
            let Some(mut task) = ex.tasks.borrow_mut()[index].take() else {
                continue;
            };
            let waker = waker_for(index);
            if task.as_mut().poll(&mut Context::from_waker(&waker)).is_pending() {
                ex.tasks.borrow_mut()[index] = Some(task);
            } else {
                ex.free.borrow_mut().push(index);
            }
        }
        assert!(
            ex.main_woken.get() || !ex.ready.borrow().is_empty(),
            "reference loop: nothing can run and the main future waits (it has no timers or I/O)"
        );
    }
}
