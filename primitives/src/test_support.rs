//! Test helpers: a counting waker, a seeded PRNG and a tiny deterministic
//! executor that polls ready tasks in a random (seeded) order and can drop
//! (cancel) any task at any point.
use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

pub(crate) struct CountingWaker(AtomicUsize);

impl CountingWaker {
    pub(crate) fn pair() -> (Waker, Counter) {
        let inner = Arc::new(CountingWaker(AtomicUsize::new(0)));
        (Waker::from(inner.clone()), Counter(inner))
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub(crate) struct Counter(Arc<CountingWaker>);

impl Counter {
    pub(crate) fn get(&self) -> usize {
        self.0 .0.load(Ordering::SeqCst)
    }
}

/// xorshift64*: small, seeded, repeatable.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct TaskWaker {
    id: usize,
    scheduled: AtomicBool,
    ready: Arc<Mutex<VecDeque<usize>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::SeqCst) {
            self.ready.lock().unwrap().push_back(self.id);
        }
    }
}

type BoxFut = Pin<Box<dyn Future<Output = ()>>>;

/// A deterministic single-threaded executor for tests.
pub(crate) struct Sim {
    tasks: Vec<Option<(BoxFut, Arc<TaskWaker>)>>,
    ready: Arc<Mutex<VecDeque<usize>>>,
    pub(crate) rng: Rng,
    random: bool,
}

impl Sim {
    pub(crate) fn new(seed: u64) -> Self {
        Sim {
            tasks: Vec::new(),
            ready: Arc::default(),
            rng: Rng::new(seed),
            random: true,
        }
    }

    /// Polls ready tasks in the order they were woken (like a real loop).
    pub(crate) fn fifo() -> Self {
        Sim {
            random: false,
            ..Sim::new(0)
        }
    }

    pub(crate) fn spawn(&mut self, fut: impl Future<Output = ()> + 'static) -> usize {
        let id = self.tasks.len();
        let waker = Arc::new(TaskWaker {
            id,
            scheduled: AtomicBool::new(false),
            ready: self.ready.clone(),
        });
        waker.wake_by_ref();
        self.tasks.push(Some((Box::pin(fut), waker)));
        id
    }

    pub(crate) fn alive(&self) -> usize {
        self.tasks.iter().filter(|t| t.is_some()).count()
    }

    /// Drops the task's future (cancellation). Returns false if it had finished.
    pub(crate) fn cancel(&mut self, id: usize) -> bool {
        let task = self.tasks[id].take();
        let was = task.is_some();
        drop(task);
        was
    }

    /// Polls one ready task chosen at random. Returns false if none is ready.
    pub(crate) fn step(&mut self) -> bool {
        let id = {
            let mut ready = self.ready.lock().unwrap();
            if ready.is_empty() {
                return false;
            }
            let i = if self.random { self.rng.below(ready.len()) } else { 0 };
            ready.remove(i).unwrap()
        };
        let Some((mut fut, waker)) = self.tasks[id].take() else {
            return true;
        };
        waker.scheduled.store(false, Ordering::SeqCst);
        let w = Waker::from(waker.clone());
        match fut.as_mut().poll(&mut Context::from_waker(&w)) {
            Poll::Ready(()) => {}
            Poll::Pending => self.tasks[id] = Some((fut, waker)),
        }
        true
    }

    pub(crate) fn run_until_stalled(&mut self) {
        while self.step() {}
    }

    /// Runs until stalled, cancelling a random live task with probability
    /// `percent` before each step.
    pub(crate) fn run_with_cancellation(&mut self, percent: u64, cancellable: &[usize]) -> usize {
        let mut cancelled = 0;
        loop {
            if !cancellable.is_empty() && self.rng.chance(percent) {
                let id = cancellable[self.rng.below(cancellable.len())];
                if self.cancel(id) {
                    cancelled += 1;
                }
            }
            if !self.step() {
                return cancelled;
            }
        }
    }
}

/// Yields to the executor `n` times.
pub(crate) async fn yield_times(n: usize) {
    struct Yield(bool);
    impl Future for Yield {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
    for _ in 0..n {
        Yield(false).await;
    }
}

pub(crate) fn counter() -> Rc<Cell<usize>> {
    Rc::new(Cell::new(0))
}

/// Increments a counter while alive (decrements on drop, cancellation too).
pub(crate) struct Held(Rc<Cell<usize>>);

impl Held {
    pub(crate) fn new(c: &Rc<Cell<usize>>) -> Self {
        c.set(c.get() + 1);
        Held(c.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}
