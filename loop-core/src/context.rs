//! Which loop is running on this thread.
//!
//! `EventLoop::block_on` and `run_forever` install their loop in a
//! thread-local for as long as they run; the free functions (`spawn`,
//! `sleep`, `call_soon`, ...) and the waker's fast path find it there.

use std::cell::RefCell;
use std::rc::Rc;

use crate::core::Core;
use crate::task::waker::WakeTarget;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Runs `f` with the running loop, or panics with a message naming `what`.
#[track_caller]
pub(crate) fn with_core<R>(what: &str, f: impl FnOnce(&Rc<Core>) -> R) -> R {
    match try_with_core(f) {
        Some(r) => r,
        None => panic!(
            "no running event loop: {what} must be called from a task or callback running \
             on an evloop loop (inside evloop::run or EventLoop::block_on)"
        ),
    }
}

/// Runs `f` with the running loop, if there is one.
#[inline]
pub(crate) fn try_with_core<R>(f: impl FnOnce(&Rc<Core>) -> R) -> Option<R> {
    CURRENT.with(|c| c.borrow().as_ref().map(f))
}

/// True if a loop is running on this thread.
pub(crate) fn is_running() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// The waker's entry point: local fast path or remote queue.
#[inline]
pub(crate) fn wake(target: WakeTarget) {
    let local = CURRENT.with(|c| match &*c.borrow() {
        Some(core) if core.index() == target.loop_index => {
            core.wake(target.slot, target.generation);
            true
        }
        _ => false,
    });
    if !local {
        crate::remote::wake_remote(target);
    }
}

/// Installs a loop as this thread's running loop until dropped.
pub(crate) struct Enter {
    _private: (),
}

impl Enter {
    /// Panics with a message naming `what` if a loop is already running here.
    #[track_caller]
    pub(crate) fn new(core: &Rc<Core>, what: &str) -> Enter {
        CURRENT.with(|c| {
            let mut cur = match c.try_borrow_mut() {
                Ok(cur) if cur.is_none() => cur,
                _ => panic!(
                    "{what} called while an event loop is already running on this thread: \
                     evloop loops do not nest. Inside a task, await the future (or spawn it) \
                     instead of blocking on it"
                ),
            };
            if cur.is_some() {
                panic!(
                    "{what} called while an event loop is already running on this thread: \
                     evloop loops do not nest. Inside a task, await the future (or spawn it) \
                     instead of blocking on it"
                );
            }
            *cur = Some(core.clone());
        });
        Enter { _private: () }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let core = CURRENT.with(|c| c.borrow_mut().take());
        drop(core);
    }
}
