//! Active expiry, as Redis does it: the keys that have a time to live are
//! kept in a vector, and a periodic task samples them at random, deleting
//! the expired ones it finds. While more than a quarter of a sample was
//! expired, it samples again — up to a time budget per tick, so a mass
//! expiry is reclaimed in bounded slices and never stalls the loop.
//!
//! Without it, a key that is never read again stays in memory forever
//! once expired (only reads removed expired keys): 200k `SET … PX 1`
//! would hold 200k dead values.

use std::time::{Duration, Instant};

/// Keys sampled per round (Redis: `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const SAMPLE: usize = 20;
/// How often the expiry task runs (Redis: `hz 10`).
pub const TICK: Duration = Duration::from_millis(100);
/// Most time one tick may spend (5% of a core at `TICK`).
pub const BUDGET: Duration = Duration::from_millis(5);

/// The keys that have a time to live; a key's position is kept in its
/// map entry, so removal is O(1) (swap with the last).
#[derive(Default)]
pub struct ExpiringKeys {
    keys: Vec<Vec<u8>>,
    rng: u64,
}

impl ExpiringKeys {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds `key`; returns its position.
    pub fn push(&mut self, key: &[u8]) -> usize {
        self.keys.push(key.to_vec());
        self.keys.len() - 1
    }

    /// Removes the key at `at`; returns the key that moved into `at`, if
    /// one did (its entry must be told its new position).
    pub fn swap_remove(&mut self, at: usize) -> Option<&[u8]> {
        self.keys.swap_remove(at);
        self.keys.get(at).map(Vec::as_slice)
    }

    pub fn get(&self, at: usize) -> &[u8] {
        &self.keys[at]
    }

    pub fn clear(&mut self) {
        self.keys.clear();
    }

    /// A random position (xorshift64*: no dependency, no need for quality).
    pub fn random_position(&mut self) -> usize {
        if self.rng == 0 {
            self.rng = 0x9e37_79b9_7f4a_7c15;
        }
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) % self.keys.len() as u64) as usize
    }
}

/// Did a round of `SAMPLE` find enough expired keys to go on?
pub fn worth_another_round(expired: usize) -> bool {
    expired * 4 > SAMPLE
}

/// True once `budget` has been spent since `start`.
pub fn out_of_time(start: Instant, budget: Duration) -> bool {
    start.elapsed() >= budget
}
