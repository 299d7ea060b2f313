//! `lag_monitor`: the seed's `check_event_loop_lag`, as a task.

use std::time::Duration;

use crate::context;
use crate::task::Task;

/// Spawns a task that sleeps `interval` again and again and measures how
/// late each sleep returns — how long the loop was too busy to run it. Each
/// lag above `threshold` is passed to `on_lag`; every sample also goes into
/// the `loop_lag` summary of [`stats`](super::stats) when measuring is on.
/// Cancel (or drop the loop) to stop it.
///
/// ```
/// # use evloop_core as evloop;
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// evloop::run(async {
///     let worst = Rc::new(Cell::new(Duration::ZERO));
///     let w = worst.clone();
///     let monitor = evloop::monitor::lag_monitor(Duration::from_millis(5), Duration::from_millis(20), move |lag| {
///         w.set(w.get().max(lag));
///     });
///     evloop::sleep(Duration::from_millis(10)).await;
///     std::thread::sleep(Duration::from_millis(50)); // a blocking call: the loop stalls
///     evloop::sleep(Duration::from_millis(10)).await;
///     monitor.cancel();
///     assert!(worst.get() >= Duration::from_millis(20));
/// });
/// ```
///
/// # Panics
/// Outside a running loop ("no running event loop"), or if `interval` is zero.
#[track_caller]
pub fn lag_monitor(interval: Duration, threshold: Duration, on_lag: impl Fn(Duration) + 'static) -> Task<()> {
    assert!(
        !interval.is_zero(),
        "lag_monitor: the interval must be greater than zero"
    );
    context::with_core("evloop::monitor::lag_monitor", |_| ());
    crate::spawn_named("evloop-lag-monitor", async move {
        loop {
            let start = crate::time();
            crate::sleep(interval).await;
            let lag = crate::time().saturating_duration_since(start + interval);
            context::try_with_core(|core| {
                if let Some(m) = core.monitor() {
                    m.record_lag(lag);
                }
            });
            if lag > threshold {
                on_lag(lag);
            }
        }
    })
}
