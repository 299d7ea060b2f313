//! Helpers that drive an evloop loop (the `evloop` feature).

use std::future::Future;
use std::time::Duration;

use crate::Rng;

/// A loop with a paused clock.
pub fn paused() -> evloop::EventLoop {
    evloop::EventLoop::builder().paused_clock(true).build().unwrap()
}

/// Spawns `n` tasks made by `make(i, rng)`, then, until every task has
/// finished (or `max_rounds` rounds passed), makes `n / 100` attempts per
/// round to cancel a random task, each with probability `percent`, and then
/// either yields (one tick) or advances the paused clock by 1–5 µs.
/// Needs a loop with a paused clock. Tasks still unfinished after that are
/// cancelled and counted as `stuck`. Every task must end either finished
/// without panicking or cancelled.
pub async fn cancel_randomly<Fut>(
    seed: u64,
    n: usize,
    percent: u64,
    max_rounds: usize,
    mut make: impl FnMut(usize, &mut Rng) -> Fut,
) -> Outcome
where
    Fut: Future<Output = ()> + 'static,
{
    let mut rng = Rng::new(seed);
    let tasks: Vec<_> = (0..n).map(|i| evloop::spawn(make(i, &mut rng))).collect();
    // A task whose cancellation is pending still reports `cancel() == true`:
    // count each task once.
    let mut was_cancelled = vec![false; n];
    let mut cancelled = 0;
    for _ in 0..max_rounds {
        if tasks.iter().all(|t| t.is_finished()) {
            break;
        }
        for _ in 0..(n / 100).max(1) {
            let i = rng.below(n);
            if rng.chance(percent) && !was_cancelled[i] && tasks[i].cancel() {
                was_cancelled[i] = true;
                cancelled += 1;
            }
        }
        if rng.chance(50) {
            evloop::yield_now().await;
        } else {
            evloop::advance(Duration::from_micros(rng.below(5) as u64 + 1)).await;
        }
    }
    // Whatever is still blocked now is cancelled too, and reported.
    let mut stuck = 0;
    for (t, was) in tasks.iter().zip(&was_cancelled) {
        if !was && t.cancel() {
            stuck += 1;
        }
    }
    for t in tasks {
        if let Err(e) = t.await {
            assert!(e.is_cancelled(), "a stress task failed: {e}");
        }
    }
    Outcome { cancelled, stuck }
}

/// What [`cancel_randomly`] did.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// Tasks cancelled at random points.
    pub cancelled: usize,
    /// Tasks still unfinished when the rounds ran out (then cancelled).
    pub stuck: usize,
}
