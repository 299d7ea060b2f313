//! Seed pattern: the sliding-window rate limiter. 20 fetches, at most 5 in
//! any one-second window. Runs on a paused clock, so the four seconds it
//! simulates pass at once; the printed times are the loop's virtual clock.
//!
//! `cargo run --example rate_limiter`
use std::rc::Rc;
use std::time::Duration;

use evloop::sync::RateLimiter;

fn main() {
    let lp = evloop::EventLoop::builder().paused_clock(true).build().expect("loop");
    lp.block_on(async {
        let limiter = Rc::new(RateLimiter::new(5, Duration::from_secs(1)));
        let start = evloop::time();
        let fetches: Vec<_> = (0..20)
            .map(|i| {
                let limiter = limiter.clone();
                evloop::spawn(async move {
                    limiter.acquire().await;
                    let at = evloop::time() - start;
                    println!("t={:.1}s Fetching https://api.example.com/item/{i}", at.as_secs_f64());
                    evloop::sleep(Duration::from_millis(100)).await; // the request
                })
            })
            .collect();
        for f in fetches {
            f.await.unwrap();
        }
        println!("20 fetches in {:?} of loop time: 5 per second", evloop::time() - start);
    });
}
