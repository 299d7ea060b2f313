//! [`BoundedSemaphore`]: a semaphore that refuses to be released above its
//! initial count, and its [`SemaphoreError`].
use std::error::Error;
use std::fmt;

use crate::semaphore::{Acquire, Semaphore, SemaphorePermit};

/// A [`Semaphore`] whose [`release`](BoundedSemaphore::release) fails instead
/// of raising the count above the initial value (asyncio's
/// `BoundedSemaphore`).
///
/// # Examples
///
/// ```
/// use evloop_primitives::{BoundedSemaphore, SemaphoreError};
///
/// let sem = BoundedSemaphore::new(1);
/// sem.try_acquire().unwrap().forget();
/// assert_eq!(sem.release(), Ok(()));
/// assert_eq!(sem.release(), Err(SemaphoreError));
/// ```
pub struct BoundedSemaphore {
    sem: Semaphore,
}

impl BoundedSemaphore {
    /// A semaphore with `permits` permits that never holds more.
    pub const fn new(permits: usize) -> Self {
        BoundedSemaphore {
            sem: Semaphore::with_bound(permits, permits),
        }
    }

    /// Waits for a permit (FIFO, cancel-safe), like [`Semaphore::acquire`].
    pub fn acquire(&self) -> Acquire<'_> {
        self.sem.acquire()
    }

    /// Takes a permit if one is free.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.sem.try_acquire()
    }

    /// True if [`acquire`](BoundedSemaphore::acquire) would wait, as
    /// [`Semaphore::locked`].
    pub fn locked(&self) -> bool {
        self.sem.locked()
    }

    /// Permits that could be acquired right now.
    pub fn available_permits(&self) -> usize {
        self.sem.available_permits()
    }

    /// Number of tasks waiting in [`acquire`](BoundedSemaphore::acquire).
    pub fn waiters(&self) -> usize {
        self.sem.waiters()
    }

    /// Adds one permit back, or fails with [`SemaphoreError`] if that would
    /// exceed the initial count ("released too many times").
    pub fn release(&self) -> Result<(), SemaphoreError> {
        if self.sem.give_back() {
            Ok(())
        } else {
            Err(SemaphoreError)
        }
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("permits", &self.sem.available_permits())
            .field("waiters", &self.sem.waiters())
            .finish()
    }
}

/// [`BoundedSemaphore::release`] would have raised the count above its
/// initial value (asyncio raises `ValueError` here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SemaphoreError;

impl fmt::Display for SemaphoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl Error for SemaphoreError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_release_is_refused() {
        let sem = BoundedSemaphore::new(2);
        assert_eq!(sem.release(), Err(SemaphoreError));
        let p = sem.try_acquire().unwrap();
        assert_eq!(sem.available_permits(), 1);
        drop(p);
        assert_eq!(sem.available_permits(), 2);
        assert_eq!(sem.release(), Err(SemaphoreError));
        // A permit dropped after a manual over-release cannot push past the bound.
        let p = sem.try_acquire().unwrap();
        sem.release().unwrap();
        drop(p);
        assert_eq!(sem.available_permits(), 2);
        assert_eq!(SemaphoreError.to_string(), "BoundedSemaphore released too many times");
    }
}
