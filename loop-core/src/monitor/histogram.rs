//! A log-bucketed histogram with fixed memory.
//!
//! Values are bucketed by their power of two and three more bits of mantissa
//! (8 buckets per octave, so any value is within 12.5% of its bucket's
//! bounds); 64 octaves × 8 = 512 counters, 4 KiB, whatever is recorded. The
//! maximum is kept exactly.

use std::fmt;
use std::time::Duration;

const SUB_BITS: u32 = 3;
const SUBS: usize = 1 << SUB_BITS;
const BUCKETS: usize = 64 * SUBS;

pub(crate) struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    max: u64,
}

fn bucket_of(v: u64) -> usize {
    if v < SUBS as u64 {
        return v as usize;
    }
    let octave = 63 - v.leading_zeros(); // >= SUB_BITS
    let sub = (v >> (octave - SUB_BITS)) as usize & (SUBS - 1);
    ((octave - SUB_BITS + 1) as usize) * SUBS + sub
}

/// The largest value that falls in `bucket`.
fn upper_bound(bucket: usize) -> u64 {
    if bucket < SUBS {
        return bucket as u64;
    }
    let octave = (bucket / SUBS) as u32 + SUB_BITS - 1;
    let sub = (bucket % SUBS) as u64;
    let low = (1u64 << octave) | (sub << (octave - SUB_BITS));
    low + (1u64 << (octave - SUB_BITS)) - 1
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            max: 0,
        }
    }

    #[inline]
    pub(crate) fn record(&mut self, v: u64) {
        self.counts[bucket_of(v)] += 1;
        self.total += 1;
        self.max = self.max.max(v);
    }

    pub(crate) fn count(&self) -> u64 {
        self.total
    }

    /// The value below which a fraction `q` of the samples fall (the upper
    /// bound of its bucket, never above the true maximum).
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64 * q).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return upper_bound(bucket).min(self.max);
            }
        }
        self.max
    }

    pub(crate) fn max(&self) -> u64 {
        self.max
    }
}

/// p50, p99 and max of a measured quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// How many samples.
    pub count: u64,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

impl Summary {
    pub(crate) fn of(h: &Histogram, to_duration: impl Fn(u64) -> Duration) -> Summary {
        Summary {
            count: h.count(),
            p50: to_duration(h.quantile(0.50)),
            p99: to_duration(h.quantile(0.99)),
            max: to_duration(h.max()),
        }
    }
}

/// Percentiles come from buckets an eighth wide, so they are printed with
/// the two significant digits a bucket can vouch for ("p99 50ms", not
/// "p99 50.331647ms"); the maximum is exact and keeps three.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {} p99 {} max {} (n={})",
            Approx(self.p50, 2),
            Approx(self.p99, 2),
            Approx(self.max, 3),
            self.count
        )
    }
}

/// A duration with `digits` significant digits, in the largest unit that
/// keeps it at 1 or more (ns, µs, ms, s).
struct Approx(Duration, usize);

impl fmt::Display for Approx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.as_nanos() as f64;
        let (value, unit) = match ns {
            n if n >= 1e9 => (n / 1e9, "s"),
            n if n >= 1e6 => (n / 1e6, "ms"),
            n if n >= 1e3 => (n / 1e3, "µs"),
            n => (n, "ns"),
        };
        let int_digits = if value >= 100.0 {
            3
        } else if value >= 10.0 {
            2
        } else {
            1
        };
        let decimals = self.1.saturating_sub(int_digits);
        write!(f, "{value:.decimals$}{unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_print_what_a_bucket_can_tell() {
        let summary = Summary {
            count: 3,
            p50: Duration::from_nanos(1_234_567),
            p99: Duration::from_nanos(50_331_647),
            max: Duration::from_nanos(119_480_401),
        };
        assert_eq!(summary.to_string(), "p50 1.2ms p99 50ms max 119ms (n=3)");
        assert_eq!(Approx(Duration::from_nanos(830), 2).to_string(), "830ns");
        assert_eq!(Approx(Duration::from_micros(12_600), 2).to_string(), "13ms");
        assert_eq!(Approx(Duration::from_millis(1500), 2).to_string(), "1.5s");
    }

    #[test]
    fn buckets_bound_values_within_an_eighth() {
        for v in (0..5000u64).chain([1 << 20, (1 << 40) + 12345, u64::MAX / 3]) {
            let b = bucket_of(v);
            let hi = upper_bound(b);
            assert!(hi >= v, "{v} above its bucket's bound {hi}");
            assert!(hi - v <= v / 8 + 1, "{v} too far below its bucket's bound {hi}");
            if b > 0 {
                assert!(upper_bound(b - 1) < v, "{v} fits an earlier bucket");
            }
        }
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5);
        let p99 = h.quantile(0.99);
        assert!((500_000..=563_000).contains(&p50), "{p50}");
        assert!((990_000..=1_000_000).contains(&p99), "{p99}");
        assert_eq!(h.max(), 1_000_000);
        assert_eq!(h.count(), 1000);
        assert_eq!(Histogram::new().quantile(0.5), 0);
    }
}
