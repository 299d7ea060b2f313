//! `Shard`: what a shard knows about itself and its siblings.

use std::fmt;
use std::sync::Arc;

use crate::LoopHandle;

/// One shard's view of the group: its index, how many shards there are,
/// and every shard's [`LoopHandle`]. Cheap to clone, and `Send + Sync`, so
/// it can travel with the work it sends to other shards.
///
/// ```
/// use evloop::shard;
///
/// // Each shard sends its index to shard 0's loop, which sums them.
/// let sums = shard::run(3, |me| async move {
///     let to_zero = me.handle(0);
///     let mine = me.index();
///     to_zero.spawn(async move { mine * 100 }).await.unwrap()
/// });
/// assert_eq!(sums, vec![0, 100, 200]);
/// ```
#[derive(Clone)]
pub struct Shard {
    index: usize,
    handles: Arc<[LoopHandle]>,
}

impl Shard {
    pub(super) fn new(index: usize, handles: Arc<[LoopHandle]>) -> Shard {
        Shard { index, handles }
    }

    /// This shard's index, in `0..count()`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many shards run.
    pub fn count(&self) -> usize {
        self.handles.len()
    }

    /// Shard `i`'s loop handle: `spawn`, `spawn_with` and
    /// `call_soon_threadsafe` on it run work on shard `i`'s thread.
    /// `handle(self.index())` is this shard's own loop.
    ///
    /// # Panics
    /// If `i >= count()`.
    #[track_caller]
    pub fn handle(&self, i: usize) -> LoopHandle {
        match self.handles.get(i) {
            Some(handle) => handle.clone(),
            None => panic!(
                "Shard::handle({i}): there are only {} shards (indices 0..{})",
                self.count(),
                self.count()
            ),
        }
    }
}

impl fmt::Debug for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shard")
            .field("index", &self.index)
            .field("count", &self.count())
            .finish()
    }
}
