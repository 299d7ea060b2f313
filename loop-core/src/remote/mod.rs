//! The only part of a loop other threads can touch.
//!
//! Each loop has a crossbeam channel of [`RemoteMsg`]s and a `mio::Waker`,
//! kept in [`Shared`] and listed in a global registry under the loop's
//! 16-bit index (the index every waker of that loop carries). A wake from
//! another thread, `call_soon_threadsafe`, `LoopHandle::spawn` and
//! `LoopHandle::stop` all send a message, then set the `notified` flag; only
//! the send that turns the flag on pays for the `mio::Waker` syscall. The loop
//! clears the flag before draining the channel (step 2 of the tick), so a
//! message sent during the drain turns it on again and is seen next tick.

pub(crate) mod blocking_pool;
mod completion;
mod handle;
mod remote_task;
mod to_thread;

pub use handle::LoopHandle;
pub use remote_task::RemoteTask;
pub use to_thread::{to_thread, ToThread};

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crossbeam_channel::{Receiver, Sender};

use crate::reactor::WAKER_TOKEN;
use crate::task::waker::WakeTarget;

/// A message from another thread.
pub(crate) enum RemoteMsg {
    Wake { slot: u32, generation: u32 },
    Call(Box<dyn FnOnce() + Send>),
    Stop,
}

/// The thread-safe half of a loop.
pub(crate) struct Shared {
    index: u16,
    tx: Sender<RemoteMsg>,
    waker: mio::Waker,
    notified: AtomicBool,
}

static LOOPS: RwLock<Vec<Option<Arc<Shared>>>> = RwLock::new(Vec::new());

/// Creates the shared half of a new loop and lists it in the registry.
pub(crate) fn register(registry: &mio::Registry) -> io::Result<(Arc<Shared>, Receiver<RemoteMsg>)> {
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
        tx,
        waker,
        notified: AtomicBool::new(false),
    });
    loops[index] = Some(shared.clone());
    Ok((shared, rx))
}

/// Removes a loop from the registry; wakes aimed at it are then dropped.
/// Does nothing if the loop's index already belongs to a newer loop.
pub(crate) fn unregister(shared: &Arc<Shared>) {
    let mut loops = LOOPS.write().unwrap_or_else(|p| p.into_inner());
    if let Some(slot) = loops.get_mut(shared.index as usize) {
        if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, shared)) {
            *slot = None;
        }
    }
}

/// The slow wake path: another thread, or the loop is not running.
pub(crate) fn wake_remote(target: WakeTarget) {
    let shared = {
        let loops = LOOPS.read().unwrap_or_else(|p| p.into_inner());
        loops.get(target.loop_index as usize).and_then(|s| s.clone())
    };
    if let Some(shared) = shared {
        shared.send(RemoteMsg::Wake {
            slot: target.slot,
            generation: target.generation,
        });
    }
}

impl Shared {
    pub(crate) fn index(&self) -> u16 {
        self.index
    }

    /// Queues `msg` and makes sure the loop will look at its queue.
    /// Returns false if the loop is gone.
    pub(crate) fn send(&self, msg: RemoteMsg) -> bool {
        if self.tx.send(msg).is_err() {
            return false;
        }
        if !self.notified.swap(true, Ordering::AcqRel) {
            // An error here means the loop's poll is gone: it is closing.
            let _ = self.waker.wake();
        }
        true
    }

    /// Loop side: turns the flag off and says whether it was on.
    pub(crate) fn take_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire) && self.notified.swap(false, Ordering::AcqRel)
    }

    /// Loop side: whether messages may be waiting.
    pub(crate) fn is_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire)
    }
}
