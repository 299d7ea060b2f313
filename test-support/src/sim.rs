//! A tiny deterministic executor for the primitives' unit tests: it polls
//! ready tasks in a seeded random order (or in wake order) and can drop
//! (cancel) any task at any point.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::Rng;

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

/// A deterministic single-threaded executor for tests: tasks are numbered
/// in spawn order, and a task is polled only when its waker was woken.
pub struct Sim {
    tasks: Vec<Option<(BoxFut, Arc<TaskWaker>)>>,
    ready: Arc<Mutex<VecDeque<usize>>>,
    /// The seeded choices: which ready task runs, which task is cancelled.
    /// Tests may draw from it too, to stay repeatable.
    pub rng: Rng,
    random: bool,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("tasks", &self.tasks.len())
            .field("alive", &self.alive())
            .field("random", &self.random)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Polls ready tasks in a random order picked by `seed`.
    pub fn new(seed: u64) -> Self {
        Sim {
            tasks: Vec::new(),
            ready: Arc::default(),
            rng: Rng::new(seed),
            random: true,
        }
    }

    /// Polls ready tasks in the order they were woken (like a real loop).
    pub fn fifo() -> Self {
        Sim {
            random: false,
            ..Sim::new(0)
        }
    }

    /// Adds a task, ready to be polled; returns its number.
    pub fn spawn(&mut self, fut: impl Future<Output = ()> + 'static) -> usize {
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

    /// The tasks neither finished nor cancelled.
    pub fn alive(&self) -> usize {
        self.tasks.iter().filter(|t| t.is_some()).count()
    }

    /// Drops the task's future (cancellation). Returns false if it had finished.
    pub fn cancel(&mut self, id: usize) -> bool {
        let task = self.tasks[id].take();
        let was = task.is_some();
        drop(task);
        was
    }

    /// Polls one ready task: chosen at random, or the first woken for
    /// [`Sim::fifo`]. Returns false if none is ready.
    pub fn step(&mut self) -> bool {
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

    /// Polls ready tasks until none is ready.
    pub fn run_until_stalled(&mut self) {
        while self.step() {}
    }

    /// Runs until stalled, cancelling a random live task with probability
    /// `percent` before each step, among `cancellable`. Returns how many it
    /// cancelled.
    pub fn run_with_cancellation(&mut self, percent: u64, cancellable: &[usize]) -> usize {
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
