//! Callbacks: `call_soon`, `call_later`, `call_at` and their handles.

use std::cell::Cell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::context;
use crate::core::Core;
use crate::run_queue::Runnable;
use crate::timer::clock::instant_after;
use crate::timer::wheel::TimerKey;
use crate::timer::TimerPayload;

/// A queued or armed callback; shared by the run queue (or the timer) and
/// the user's [`CallbackHandle`].
pub(crate) struct CallbackCell {
    f: Cell<Option<Box<dyn FnOnce()>>>,
    when: Option<Instant>,
    timer: Cell<Option<TimerKey>>,
    /// Where `call_soon` (or its like) was called: for slow-poll reports.
    scheduled_at: &'static Location<'static>,
}

impl CallbackCell {
    pub(crate) fn new(
        f: Box<dyn FnOnce()>,
        when: Option<Instant>,
        scheduled_at: &'static Location<'static>,
    ) -> Rc<CallbackCell> {
        Rc::new(CallbackCell {
            f: Cell::new(Some(f)),
            when,
            timer: Cell::new(None),
            scheduled_at,
        })
    }

    /// Where the callback was scheduled.
    pub(crate) fn scheduled_at(&self) -> &'static Location<'static> {
        self.scheduled_at
    }

    /// Runs the callback unless it was cancelled; returns whether it ran.
    /// A panic is reported on stderr and does not stop the loop.
    pub(crate) fn run(&self) -> bool {
        let Some(f) = self.f.take() else { return false };
        if let Err(panic) = catch_unwind(AssertUnwindSafe(f)) {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string panic payload>".into());
            eprintln!("evloop: a callback panicked and was skipped: {msg}");
        }
        true
    }

    /// The timer fired: nothing to disarm any more.
    pub(crate) fn disarmed(&self) {
        self.timer.set(None);
    }
}

/// Returned by [`call_soon`], [`call_later`] and [`call_at`]: cancels the
/// callback if it has not run yet.
///
/// ```
/// # use evloop_core as evloop;
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// evloop::run(async {
///     let ran = Rc::new(Cell::new(false));
///     let r = ran.clone();
///     let handle = evloop::call_later(Duration::from_millis(5), move || r.set(true));
///     assert!(handle.when().is_some());
///     handle.cancel();
///     evloop::sleep(Duration::from_millis(10)).await;
///     assert!(!ran.get());
/// });
/// ```
pub struct CallbackHandle {
    cell: Rc<CallbackCell>,
    core: Rc<Core>,
}

impl CallbackHandle {
    /// Cancels the callback: it will not run. A timer it armed is removed
    /// at once. Does nothing if it already ran.
    pub fn cancel(&self) {
        drop(self.cell.f.take());
        if let Some(key) = self.cell.timer.take() {
            let payload = self.core.timers().remove(key);
            drop(payload);
        }
    }

    /// When a `call_later` / `call_at` callback is due; `None` for `call_soon`.
    pub fn when(&self) -> Option<Instant> {
        self.cell.when
    }

    /// True if the callback was cancelled or has run.
    pub fn is_done(&self) -> bool {
        let f = self.cell.f.take();
        let done = f.is_none();
        self.cell.f.set(f);
        done
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("when", &self.cell.when)
            .field("done", &self.is_done())
            .finish()
    }
}

/// Queues `f` to run on a later tick (asyncio's `loop.call_soon`).
/// Callbacks run in FIFO order; one queued while a tick runs waits for the
/// next tick.
///
/// # Panics
/// Outside a running loop ("no running event loop").
///
/// ```
/// # use evloop_core as evloop;
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// evloop::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     for i in 0..3 {
///         let log = log.clone();
///         evloop::call_soon(move || log.borrow_mut().push(i));
///     }
///     evloop::yield_now().await;
///     assert_eq!(*log.borrow(), [0, 1, 2]);
/// });
/// ```
#[track_caller]
pub fn call_soon(f: impl FnOnce() + 'static) -> CallbackHandle {
    let core = context::current_rc("evloop::call_soon");
    let cell = CallbackCell::new(Box::new(f), None, Location::caller());
    core.run_queue().push_back(Runnable::Callback(cell.clone()));
    CallbackHandle { cell, core }
}

/// Runs `f` once `delay` has passed (asyncio's `loop.call_later`).
/// Callbacks with earlier deadlines run first.
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn call_later(delay: Duration, f: impl FnOnce() + 'static) -> CallbackHandle {
    let now = context::with_core("evloop::call_later", |core| core.timers().clock().now());
    call_at(instant_after(now, delay), f)
}

/// Runs `f` at `when` on the loop's clock (asyncio's `loop.call_at`).
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn call_at(when: Instant, f: impl FnOnce() + 'static) -> CallbackHandle {
    let core = context::current_rc("evloop::call_at");
    let cell = CallbackCell::new(Box::new(f), Some(when), Location::caller());
    let at = core.timers().clock().deadline_us(when);
    let key = core.timers().insert(at, TimerPayload::Callback(cell.clone()));
    cell.timer.set(Some(key));
    CallbackHandle { cell, core }
}
