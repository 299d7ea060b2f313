//! Drop counting: the proof that a value (a future, a task's state) was
//! dropped, or cancelled, exactly once.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

/// Counts drops: wrap a value (or a future) in a [`DropProbe`] and check
/// the counter to prove it was dropped (cancelled) exactly once.
#[derive(Debug, Clone, Default)]
pub struct DropCounter(Rc<Cell<usize>>);

impl DropCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The drops so far.
    pub fn get(&self) -> usize {
        self.0.get()
    }

    /// A value that adds one to this counter when dropped.
    pub fn probe(&self) -> DropProbe {
        DropProbe(self.0.clone())
    }

    /// A future that behaves like `fut` and counts its own drop.
    pub fn wrap<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        let probe = self.probe();
        async move {
            let _probe = probe;
            fut.await
        }
    }
}

/// Adds one to its [`DropCounter`] when dropped.
#[derive(Debug)]
pub struct DropProbe(Rc<Cell<usize>>);

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A shared counter for [`Held`], at zero.
pub fn counter() -> Rc<Cell<usize>> {
    Rc::new(Cell::new(0))
}

/// Counts itself in a shared counter while alive: the counter goes up when
/// it is made and down when it is dropped (cancellation included), so a
/// counter back at zero proves nothing was leaked.
#[derive(Debug)]
pub struct Held(Rc<Cell<usize>>);

impl Held {
    /// Adds one to `c` until the `Held` is dropped.
    pub fn new(c: &Rc<Cell<usize>>) -> Self {
        c.set(c.get() + 1);
        Held(c.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// Runs its closure when dropped: the translation of a Python
/// `except CancelledError:` or `finally:` block that only records that it
/// ran (cancellation in evloop is a drop).
///
/// ```
/// use std::cell::Cell;
/// let ran = Cell::new(false);
/// drop(evloop_test_support::OnDrop(|| ran.set(true)));
/// assert!(ran.get());
/// ```
pub struct OnDrop<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

impl<F: FnMut()> std::fmt::Debug for OnDrop<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnDrop")
    }
}
