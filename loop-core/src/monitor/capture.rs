//! Looking at a stalled loop thread from the watchdog thread: a signal.
//!
//! The watchdog (`watchdog.rs`) sees *that* the loop thread has been in one
//! poll too long, but the task's name and the thread's stack can only be
//! read soundly on the loop thread itself. So the watchdog sends it a
//! signal (`SIGURG`, with `pthread_kill`), and the handler, running on the
//! loop thread on top of the stuck frame, fills one preallocated
//! [`Capture`] and raises a flag; the watchdog then formats and symbolises
//! it on its own thread.
//!
//! # What the handler does, and why it is sound
//!
//! * It answers only on the thread the request names (compared before it
//!   touches anything the request points to), and claims the
//!   request with one compare-and-swap on a static pointer. The watchdog
//!   withdraws a request with a `swap` when it gives up waiting, so
//!   exactly one side owns the request, and the capture buffer is written
//!   by the handler only while the watchdog waits for it (one request at a
//!   time, under `CAPTURING`).
//! * It checks that the loop thread's beacon still holds the word the
//!   watchdog saw (`beacon.rs`). The handler runs on that thread, inside
//!   that run, so the task or callback cell the beacon names is kept alive
//!   by the interrupted frame; it reads only fields that never change after
//!   the cell is created (id, name, spawn site).
//! * It allocates nothing and takes no lock of ours; it copies the name
//!   into a fixed 64-byte buffer, and puts `errno` back as it found it.
//! * The stack: on Linux with glibc it calls `backtrace(3)`, which walks
//!   the unwind tables into the preallocated frame array. `backtrace` is
//!   not on POSIX's list of async-signal-safe functions: its first call
//!   loads `libgcc_s` (so the watchdog calls it once at start-up, outside
//!   any handler), and the unwinder takes the dynamic loader's lock to find
//!   unwind tables. If the loop thread was interrupted while holding that
//!   lock (inside `dlopen`, or while a panic unwinds), the handler would
//!   wait for itself. The watchdog gives up after a second and reports the
//!   stall without the stack, but the loop thread would stay stuck, so
//!   this is a documented limit: a stack capture can deadlock a thread
//!   that was stalled inside the dynamic loader. Other runtimes' stall
//!   detectors (glommio's) accept the same trade-off. Frame pointers are
//!   not walked instead: Rust release builds omit them.
//! * The signal is installed only if nothing else handles `SIGURG` (its
//!   default is to be ignored, and our handler ignores a `SIGURG` nobody
//!   asked for), with `SA_RESTART`, so the interrupted system call (a
//!   blocking `recv`, a `sleep`) resumes as if nothing happened.

use std::cell::UnsafeCell;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::beacon::{decode, Beacon, Published};
use crate::callback::CallbackCell;
use crate::task::raw::TaskRef;

/// Frames kept from the stuck thread's stack.
const MAX_FRAMES: usize = 64;
/// Bytes of the task's name kept.
const MAX_NAME: usize = 64;

/// What the handler saw.
pub(crate) struct Capture {
    /// False if the run had ended when the signal arrived.
    pub(crate) still_running: bool,
    /// True for a callback.
    pub(crate) callback: bool,
    /// 0 if unknown (and for a callback).
    pub(crate) task_id: u64,
    /// The name given at spawn, truncated; `None` for an unnamed task.
    pub(crate) name: Option<String>,
    pub(crate) at: Option<&'static Location<'static>>,
    /// Return addresses, innermost first (the handler's own frames included).
    pub(crate) frames: Vec<usize>,
}

/// The handler's output buffer: written by the handler, read by the
/// watchdog after `DONE`, under the protocol of the module doc.
struct Slot {
    frames: [usize; MAX_FRAMES],
    n_frames: usize,
    name: [u8; MAX_NAME],
    name_len: usize,
    named: bool,
    callback: bool,
    still_running: bool,
    task_id: u64,
    at: Option<&'static Location<'static>>,
}

struct SlotCell(UnsafeCell<Slot>);

// SAFETY: only the owner of the current request touches the slot (module doc).
unsafe impl Sync for SlotCell {}

static SLOT: SlotCell = SlotCell(UnsafeCell::new(Slot {
    frames: [0; MAX_FRAMES],
    n_frames: 0,
    name: [0; MAX_NAME],
    name_len: 0,
    named: false,
    callback: false,
    still_running: false,
    task_id: 0,
    at: None,
}));
/// The beacon of the thread asked to capture itself; null when none.
static REQUEST: AtomicPtr<Beacon> = AtomicPtr::new(std::ptr::null_mut());
/// The loop thread of the pending request (a `pthread_t`), written before
/// `REQUEST`.
static REQUEST_THREAD: AtomicUsize = AtomicUsize::new(0);
/// The beacon word the watchdog saw.
static WANTED: AtomicU64 = AtomicU64::new(0);
/// Set by the handler when the slot is filled.
static DONE: AtomicBool = AtomicBool::new(false);
/// One capture at a time, across all loops' watchdogs.
static CAPTURING: Mutex<()> = Mutex::new(());

/// Installs the handler once; true if it is ours.
fn installed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        warm_up();
        // SAFETY: sigaction with a zeroed struct and a handler that only does
        // what the module doc lists; we install only over the default or
        // ignored disposition.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGURG, std::ptr::null(), &mut old) != 0 {
                return false;
            }
            if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN {
                return false;
            }
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            new.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut new.sa_mask);
            libc::sigaction(libc::SIGURG, &new, std::ptr::null_mut()) == 0
        }
    })
}

/// Makes `backtrace(3)` load what it needs now, outside any handler.
fn warm_up() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut frames = [std::ptr::null_mut(); 4];
        // SAFETY: the buffer holds 4 pointers.
        unsafe { libc::backtrace(frames.as_mut_ptr(), 4) };
    }
}

extern "C" fn on_signal(_: libc::c_int) {
    let request = REQUEST.load(Ordering::Acquire);
    if request.is_null() {
        return;
    }
    // SAFETY: pthread_self has no preconditions; pthread_equal compares.
    let asked = unsafe {
        libc::pthread_equal(
            libc::pthread_self(),
            REQUEST_THREAD.load(Ordering::Acquire) as libc::pthread_t,
        )
    } != 0;
    // A SIGURG for some other reason, or on another thread: not ours to
    // answer (and the beacon, another thread's, must not be touched).
    if !asked
        || REQUEST
            .compare_exchange(request, std::ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
    {
        return;
    }
    // SAFETY: we run on the beacon's loop thread, which owns the monitor
    // that owns the beacon and cannot drop it while we interrupt it.
    let beacon = unsafe { &*request };
    // SAFETY: we own the request, so nothing else touches the slot until
    // DONE (module doc).
    let slot = unsafe { &mut *SLOT.0.get() };
    let word = beacon.word();
    slot.still_running = word == WANTED.load(Ordering::Acquire);
    slot.n_frames = 0;
    slot.named = false;
    slot.name_len = 0;
    slot.at = None;
    slot.callback = false;
    slot.task_id = 0;
    if slot.still_running {
        match decode(word) {
            Some(Published::Callback(address)) => {
                slot.callback = true;
                if address != 0 {
                    // SAFETY: the callback named by the word is running on
                    // this thread, in the frame we interrupted, which holds
                    // its `Rc` (beacon.rs).
                    slot.at = Some(unsafe { (*(address as *const CallbackCell)).scheduled_at() });
                }
            }
            Some(Published::Task(address)) if address != 0 => {
                // SAFETY: the task named by the word is being polled on this
                // thread, in the frame we interrupted, which holds a
                // `TaskRef` (beacon.rs).
                let (id, name, at) = unsafe { TaskRef::describe_raw(address as *const ()) };
                slot.task_id = id.as_u64();
                slot.at = Some(at);
                if let Some(name) = name {
                    let n = name.len().min(MAX_NAME);
                    slot.name[..n].copy_from_slice(&name.as_bytes()[..n]);
                    slot.name_len = n;
                    slot.named = true;
                }
            }
            // An address that did not fit in the word: no name to read.
            Some(Published::Task(_)) | None => {}
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            // SAFETY: errno is this thread's; the interrupted code may be
            // about to read it, so it is put back as it was.
            let errno = unsafe { *libc::__errno_location() };
            // SAFETY: the frame array holds MAX_FRAMES pointer-sized slots;
            // see the module doc for backtrace's signal-safety.
            let n = unsafe { libc::backtrace(slot.frames.as_mut_ptr().cast(), MAX_FRAMES as libc::c_int) };
            slot.n_frames = n.max(0) as usize;
            // SAFETY: as above.
            unsafe { *libc::__errno_location() = errno };
        }
    }
    DONE.store(true, Ordering::Release);
}

/// Asks the loop thread of `beacon` what it is running, if it is still the
/// run whose published word is `wanted`; `None` if the signal cannot be used or the
/// thread did not answer within `patience`.
pub(crate) fn capture(beacon: &Beacon, wanted: u64, patience: Duration) -> Option<Capture> {
    if !installed() {
        return None;
    }
    let _one_at_a_time = CAPTURING.lock().unwrap_or_else(|p| p.into_inner());
    DONE.store(false, Ordering::Relaxed);
    WANTED.store(wanted, Ordering::Relaxed);
    REQUEST_THREAD.store(beacon.thread() as usize, Ordering::Relaxed);
    REQUEST.store((beacon as *const Beacon).cast_mut(), Ordering::Release);
    // SAFETY: the thread id came from pthread_self on the loop thread, which
    // is alive: its loop owns the monitor that owns this watchdog, and the
    // monitor joins the watchdog before it is dropped.
    if unsafe { libc::pthread_kill(beacon.thread(), libc::SIGURG) } != 0 {
        REQUEST.store(std::ptr::null_mut(), Ordering::Release);
        return None;
    }
    let deadline = Instant::now() + patience;
    while !DONE.load(Ordering::Acquire) {
        if Instant::now() >= deadline && !REQUEST.swap(std::ptr::null_mut(), Ordering::AcqRel).is_null() {
            // Withdrawn before the handler took it.
            return None;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    // SAFETY: DONE was set after the handler's last write (Release/Acquire),
    // and no other request can start while we hold CAPTURING.
    let slot = unsafe { &*SLOT.0.get() };
    Some(Capture {
        still_running: slot.still_running,
        callback: slot.callback,
        task_id: slot.task_id,
        name: slot
            .named
            .then(|| String::from_utf8_lossy(&slot.name[..slot.name_len]).into_owned()),
        at: slot.at,
        frames: slot.frames[..slot.n_frames].to_vec(),
    })
}
