//! A loop's inbox: the channel other threads send to, the `mio::Waker`
//! that rouses the loop, and the global registry that finds a loop by its
//! index.
//!
//! # Protocol
//!
//! * Senders push a [`RemoteMsg`], then set the `notified` flag; only the
//!   send that turns the flag on pays for the `mio::Waker` syscall.
//! * The loop clears the flag before draining the channel (step 2 of the
//!   tick), so a message sent during the drain turns it on again and is seen
//!   next tick. Step 4 does not sleep while the flag is on.
//! * At close the loop leaves the registry and drops its receiver, after
//!   draining what is queued: from then on every send fails and the message
//!   comes back to the sender ([`LoopClosed`](crate::LoopClosed)).

use std::cell::RefCell;
use std::io;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::ThreadId;

use crossbeam_channel::{Receiver, Sender};

use crate::reactor::WAKER_TOKEN;
use crate::task::TaskAddress;

/// A message from another thread.
pub(crate) enum RemoteMsg {
    /// A task waker was woken on another thread.
    Wake { slot: u32, generation: u32 },
    /// `call_soon_threadsafe`, and the jobs of `LoopHandle::spawn`.
    Call(Box<dyn FnOnce() + Send>, &'static Location<'static>),
    /// `LoopHandle::stop`.
    Stop,
}

/// The thread-safe half of a loop, shared by its `LoopHandle`s.
pub(crate) struct Shared {
    index: u16,
    /// The thread that created the loop (and alone may run it).
    owner: ThreadId,
    tx: Sender<RemoteMsg>,
    waker: mio::Waker,
    notified: AtomicBool,
}

/// Every live loop's shared half, by loop index.
static LOOPS: RwLock<Vec<Option<Arc<Shared>>>> = RwLock::new(Vec::new());

/// The loop side of the inbox.
pub(crate) struct Inbox {
    shared: Arc<Shared>,
    /// Taken (dropped) at close, so later sends fail.
    rx: RefCell<Option<Receiver<RemoteMsg>>>,
}

impl Inbox {
    /// Creates the inbox of a new loop and lists it in the registry.
    pub(crate) fn new(registry: &mio::Registry) -> io::Result<Inbox> {
        let waker = mio::Waker::new(registry, WAKER_TOKEN)?;
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut loops = LOOPS.write().unwrap_or_else(|p| p.into_inner());
        let index = match loops.iter().position(Option::is_none) {
            Some(i) => i,
            None if loops.len() <= u16::MAX as usize => {
                loops.push(None);
                loops.len() - 1
            }
            None => {
                return Err(io::Error::other(
                    "evloop: 65536 event loops are alive in this process; drop some before creating more",
                ))
            }
        };
        let shared = Arc::new(Shared {
            index: index as u16,
            owner: std::thread::current().id(),
            tx,
            waker,
            notified: AtomicBool::new(false),
        });
        loops[index] = Some(shared.clone());
        Ok(Inbox {
            shared,
            rx: RefCell::new(Some(rx)),
        })
    }

    /// The half other threads hold.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Turns the flag off and says whether messages may be waiting.
    #[inline]
    pub(crate) fn take_notified(&self) -> bool {
        self.shared.take_notified()
    }

    /// Whether messages may be waiting.
    #[inline]
    pub(crate) fn is_notified(&self) -> bool {
        self.shared.notified.load(Ordering::Acquire)
    }

    /// Makes the loop's backend fd readable (the `mio::Waker`), as a message
    /// would, so a host program polling that fd ticks the loop again.
    /// Always wakes, even with the flag on: the loop's own last poll may
    /// have consumed the event of a message that is still queued.
    pub(crate) fn poke(&self) {
        self.shared.notified.store(true, Ordering::Release);
        let _ = self.shared.waker.wake();
    }

    /// The next queued message, if any.
    pub(crate) fn next(&self) -> Option<RemoteMsg> {
        self.rx.borrow().as_ref()?.try_recv().ok()
    }

    /// At close: leaves the registry and stops taking messages. What is
    /// still queued is dropped here, one message at a time, on the loop's
    /// thread and with the loop installed (a closure's captures may use it).
    pub(crate) fn close(&self) {
        unregister(&self.shared);
        while let Some(msg) = self.next() {
            drop(msg);
        }
        let rx = self.rx.borrow_mut().take();
        drop(rx);
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        unregister(&self.shared);
    }
}

/// Removes a loop from the registry; wakes aimed at it are then dropped.
/// Does nothing if the loop's index already belongs to a newer loop.
fn unregister(shared: &Arc<Shared>) {
    let mut loops = LOOPS.write().unwrap_or_else(|p| p.into_inner());
    if let Some(slot) = loops.get_mut(shared.index as usize) {
        if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, shared)) {
            *slot = None;
        }
    }
}

/// The slow wake path: another thread, or the loop is not running.
pub(crate) fn wake_remote(address: TaskAddress) {
    let shared = {
        let loops = LOOPS.read().unwrap_or_else(|p| p.into_inner());
        loops.get(address.loop_index as usize).and_then(|s| s.clone())
    };
    if let Some(shared) = shared {
        let _ = shared.send(RemoteMsg::Wake {
            slot: address.slot,
            generation: address.generation,
        });
    }
}

impl Shared {
    /// The loop's index in the registry.
    pub(crate) fn index(&self) -> u16 {
        self.index
    }

    /// The thread that owns the loop.
    pub(crate) fn owner(&self) -> ThreadId {
        self.owner
    }

    /// Queues `msg` and makes sure the loop will look at its queue. If the
    /// loop is closed, the message comes back.
    pub(crate) fn send(&self, msg: RemoteMsg) -> Result<(), RemoteMsg> {
        self.tx.send(msg).map_err(|refused| refused.into_inner())?;
        if !self.notified.swap(true, Ordering::AcqRel) {
            // An error here means the loop's poll is gone: it is closing.
            let _ = self.waker.wake();
        }
        Ok(())
    }

    fn take_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire) && self.notified.swap(false, Ordering::AcqRel)
    }
}
