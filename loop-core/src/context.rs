//! Which loop is running on this thread.
//!
//! `EventLoop::block_on`, `run_forever` and `close` install their loop in a
//! thread-local for as long as they run; the free functions (`spawn`,
//! `sleep`, `call_soon`, ...) and the waker's fast path find it there.
//!
//! # Protocol
//!
//! The thread-local is a plain `Cell<*const Core>`: no destructor, so
//! reading it costs a load — this is on the path of every spawn and every
//! local wake. It is non-null only while an [`Enter`] guard lives, and the
//! guard holds an `Rc<Core>` to the loop it installed, so the pointer is valid
//! for as long as it can be read. Running guards do not nest (installing
//! over a non-null pointer panics). One exception: closing loop B while loop
//! A runs (B dropped inside a task of A) installs B *over* A for the length
//! of the close ([`Enter::closing`]), so B's destructors see B, not A. Every
//! guard restores what it replaced when dropped, even during unwinding.

use std::cell::Cell;
use std::ptr;
use std::rc::Rc;

use crate::core::Core;
use crate::task::TaskAddress;

thread_local! {
    static CURRENT: Cell<*const Core> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with the running loop, or panics with a message naming `what`.
#[track_caller]
#[inline]
pub(crate) fn with_core<R>(what: &str, f: impl FnOnce(&Core) -> R) -> R {
    match try_with_core(f) {
        Some(r) => r,
        None => no_loop(what),
    }
}

/// [`with_core`] for a large value that `f` consumes, such as the future
/// given to `spawn`: the value is handed to `f` as an argument instead of
/// being captured, so it is not first copied into the closure. A future
/// that was just built is still in the store buffer; reading it back at
/// once stalled the CPU (chained_spawn, by `perf annotate`). Without a loop
/// the value is dropped before the panic.
#[track_caller]
#[inline(always)]
pub(crate) fn with_core_taking<T, R>(what: &str, value: T, f: impl FnOnce(&Core, T) -> R) -> R {
    let core = CURRENT.with(Cell::get);
    if core.is_null() {
        drop(value);
        no_loop(what)
    }
    // SAFETY: as in `try_with_core`.
    f(unsafe { &*core }, value)
}

#[cold]
#[track_caller]
fn no_loop(what: &str) -> ! {
    panic!(
        "no running event loop: {what} must be called from a task or callback running \
         on an evloop loop (inside evloop::run or EventLoop::block_on)"
    )
}

/// Runs `f` with the running loop, if there is one.
#[inline]
pub(crate) fn try_with_core<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    let core = CURRENT.with(Cell::get);
    if core.is_null() {
        return None;
    }
    // SAFETY: non-null only while an `Enter` guard holding an `Rc` to this
    // core is alive (see the module doc), and `f` cannot outlive this call.
    Some(f(unsafe { &*core }))
}

/// The running loop's `Rc`, for values that keep their loop alive.
#[track_caller]
pub(crate) fn current_rc(what: &str) -> Rc<Core> {
    with_core(what, |core| {
        let ptr: *const Core = core;
        // SAFETY: `ptr` came from `Rc::as_ptr` in `Enter::new`, and the
        // guard's `Rc` keeps the count above zero while we add one.
        unsafe {
            Rc::increment_strong_count(ptr);
            Rc::from_raw(ptr)
        }
    })
}

/// True if a loop is running on this thread.
pub(crate) fn is_running() -> bool {
    !CURRENT.with(Cell::get).is_null()
}

/// The waker's entry point: local fast path or remote inbox.
#[inline]
pub(crate) fn wake(address: TaskAddress) {
    let local = try_with_core(|core| {
        let mine = core.index() == address.loop_index;
        if mine {
            core.wake(address.slot, address.generation);
        }
        mine
    });
    if local != Some(true) {
        crate::remote::wake_remote(address);
    }
}

/// Installs a loop as this thread's running loop until dropped.
pub(crate) struct Enter {
    _core: Rc<Core>,
    /// What was installed before (null but for [`Enter::closing`]).
    previous: *const Core,
}

impl Enter {
    /// Panics with a message naming `what` if a loop is already running here.
    #[track_caller]
    pub(crate) fn new(core: &Rc<Core>, what: &str) -> Enter {
        if is_running() {
            panic!(
                "{what} called while an event loop is already running on this thread: \
                 evloop loops do not nest. Inside a task, await the future (or spawn it) \
                 instead of blocking on it"
            );
        }
        CURRENT.with(|c| c.set(Rc::as_ptr(core)));
        Enter {
            _core: core.clone(),
            previous: ptr::null(),
        }
    }

    /// Installs `core` for its close, over whatever loop runs here now (see
    /// the module doc); the other loop is back when the guard drops. The
    /// other loop's `Enter` outlives this guard (guards drop in reverse
    /// order), so its pointer stays valid.
    pub(crate) fn closing(core: &Rc<Core>) -> Enter {
        let previous = CURRENT.with(|c| c.replace(Rc::as_ptr(core)));
        Enter {
            _core: core.clone(),
            previous,
        }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}
