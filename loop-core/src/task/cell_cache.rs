//! Recycled task-cell memory.
//!
//! A burst of spawns is followed by a burst of completions. Handing each
//! cell back to the allocator and asking again on the next burst costs a
//! `malloc` and a `free` per task, and glibc trims the top of the heap in
//! between, so the next burst page-faults it back in. Instead each loop
//! keeps freed cells in size classes (multiples of 64 bytes up to 1 KiB, all
//! 16-byte aligned) and hands them to the next spawn of that class.
//!
//! # Protocol
//!
//! * A layout that fits a class is always allocated with the class's layout
//!   ([`class_layout`]), whether the block comes from a cache or from the
//!   allocator, so any block of a class can serve any request of that class,
//!   be cached by any loop, and be freed with the class layout.
//! * A cache only holds blocks that no cell occupies: `release` is called
//!   after the cell was dropped in place.
//! * It is bounded: at most `MAX_BYTES` (16 MiB) per loop, all classes
//!   together; beyond that a released block goes back to the allocator. A loop's cache frees its blocks when
//!   the loop is dropped. A cell released while no loop runs on the thread
//!   goes straight back to the allocator.
//! * The free lists sit in an `UnsafeCell`, not a `RefCell` (a spawn and a
//!   completion each touch them): `&mut` access lasts one `Vec` push or pop,
//!   which runs no user code, and the cache is `!Sync`.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::UnsafeCell;
use std::ptr::NonNull;

const CLASS_BYTES: usize = 64;
const CLASSES: usize = 16;
const ALIGN: usize = 16;
/// Memory one loop's cache may keep for reuse, all classes together.
const MAX_BYTES: usize = 16 << 20;

/// The class of a layout, if it has one.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > ALIGN || layout.size() == 0 || layout.size() > CLASS_BYTES * CLASSES {
        return None;
    }
    Some((layout.size() - 1) / CLASS_BYTES)
}

/// The layout blocks of `layout`'s class are allocated with (or `layout`
/// itself when it has no class).
#[inline]
fn class_layout(layout: Layout) -> Layout {
    match class_of(layout) {
        // Sizes are non-zero multiples of the alignment: always valid.
        Some(class) => Layout::from_size_align((class + 1) * CLASS_BYTES, ALIGN).unwrap_or(layout),
        None => layout,
    }
}

fn allocate(layout: Layout) -> NonNull<u8> {
    // SAFETY: cells are never zero-sized (they hold a header).
    let ptr = unsafe { alloc(layout) };
    NonNull::new(ptr).unwrap_or_else(|| handle_alloc_error(layout))
}

/// Gives a block back to the allocator.
///
/// # Safety
/// `block` must come from an [`CellCache::acquire`] with the same `layout`
/// and hold no live value.
pub(crate) unsafe fn release_to_allocator(block: NonNull<u8>, layout: Layout) {
    // SAFETY: blocks are allocated with the class layout (module doc).
    unsafe { dealloc(block.as_ptr(), class_layout(layout)) };
}

/// One loop's stock of free cell blocks.
pub(crate) struct CellCache {
    free: UnsafeCell<[Vec<NonNull<u8>>; CLASSES]>,
    /// Bytes held in `free`, all classes together.
    held: std::cell::Cell<usize>,
}

impl CellCache {
    pub(crate) fn new() -> CellCache {
        CellCache {
            free: UnsafeCell::new(Default::default()),
            held: std::cell::Cell::new(0),
        }
    }

    /// Runs `f` on the free lists; `f` is a `Vec` push, pop or read (module
    /// doc).
    #[inline(always)]
    fn with_free<R>(&self, f: impl FnOnce(&mut [Vec<NonNull<u8>>; CLASSES]) -> R) -> R {
        // SAFETY: every `f` (all in this file) pushes, pops or reads, which
        // runs no user code, so nothing can reach the lists again while the
        // `&mut` lives; the cache is `!Sync`.
        f(unsafe { &mut *self.free.get() })
    }

    /// Memory for a cell of `layout`: a recycled block, or a fresh one.
    #[inline]
    pub(crate) fn acquire(&self, layout: Layout) -> NonNull<u8> {
        if let Some(class) = class_of(layout) {
            if let Some(block) = self.with_free(|free| free[class].pop()) {
                self.held.set(self.held.get() - (class + 1) * CLASS_BYTES);
                return block;
            }
        }
        allocate(class_layout(layout))
    }

    /// Takes back a block after the cell in it was dropped.
    ///
    /// # Safety
    /// `block` must come from an `acquire(layout)` (of any cache) and hold
    /// no live value.
    #[inline]
    pub(crate) unsafe fn release(&self, block: NonNull<u8>, layout: Layout) {
        if let Some(class) = class_of(layout) {
            let size = (class + 1) * CLASS_BYTES;
            if self.held.get() + size <= MAX_BYTES {
                self.with_free(|free| free[class].push(block));
                self.held.set(self.held.get() + size);
                return;
            }
        }
        // SAFETY: guaranteed by the caller.
        unsafe { release_to_allocator(block, layout) };
    }

    #[cfg(test)]
    fn cached(&self, class: usize) -> usize {
        self.with_free(|free| free[class].len())
    }
}

impl Drop for CellCache {
    fn drop(&mut self) {
        for (class, blocks) in self.free.get_mut().iter_mut().enumerate() {
            let layout = Layout::from_size_align((class + 1) * CLASS_BYTES, ALIGN).expect("valid class layout");
            for block in blocks.drain(..) {
                // SAFETY: every cached block was allocated with its class's
                // layout and is not in use (see the module doc).
                unsafe { dealloc(block.as_ptr(), layout) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_within_a_class_and_never_shared() {
        let cache = CellCache::new();
        let small = Layout::from_size_align(100, 8).unwrap();
        let same_class = Layout::from_size_align(128, 16).unwrap();
        let a = cache.acquire(small);
        // SAFETY: `a` came from acquire(small) and holds nothing.
        unsafe { cache.release(a, small) };
        let b = cache.acquire(same_class);
        assert_eq!(a, b, "a freed block serves the next request of its class");
        let c = cache.acquire(same_class);
        assert_ne!(b, c, "a block in use is never handed out twice");
        // SAFETY: both came from acquire(same_class) and hold nothing.
        unsafe {
            cache.release(b, same_class);
            release_to_allocator(c, same_class);
        }
        let big = Layout::from_size_align(4096, 8).unwrap();
        let d = cache.acquire(big);
        // SAFETY: as above; an unclassed layout goes to the allocator.
        unsafe { cache.release(d, big) };
        assert_eq!(cache.cached(1), 1);
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = CellCache::new();
        let layout = Layout::from_size_align(64, 16).unwrap();
        let blocks: Vec<_> = (0..(MAX_BYTES / 64 + 100)).map(|_| cache.acquire(layout)).collect();
        for b in blocks {
            // SAFETY: each came from acquire(layout) and holds nothing.
            unsafe { cache.release(b, layout) };
        }
        assert_eq!(cache.cached(0), MAX_BYTES / 64);
    }
}
