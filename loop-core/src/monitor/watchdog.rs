//! The stall watchdog: a thread that notices a poll running longer than the
//! threshold and reports it while it still runs (`Builder::stall_threshold`).
//!
//! The loop only publishes which run is in progress (`beacon.rs`: one
//! plain store before a poll and one after). The watchdog looks at the beacon a few times
//! per threshold; when the same run has been in progress for at least the
//! threshold, it asks the loop thread what it is running and where its
//! stack is (`capture.rs`), then reports once for that run. The elapsed
//! time it reports counts from the first look that saw the run, so it
//! understates the truth by at most one look's interval.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::beacon::{decode, Beacon};
use super::slow_poll::CALLBACK_NAME;
use super::stall::Stall;
use crate::task::main_task::MAIN_TASK_NAME;
use crate::task::TaskId;

/// Where stalls go (`Builder::on_stall`).
pub(crate) type StallCallback = Arc<dyn Fn(&Stall) + Send + Sync>;

/// The name of a stall whose task the loop thread could not tell.
const UNKNOWN: &str = "unknown";

/// How long the watchdog waits for the loop thread to answer its signal.
const PATIENCE: Duration = Duration::from_secs(1);

/// The running watchdog; dropping it stops and joins the thread.
pub(crate) struct Watchdog {
    beacon: Arc<Beacon>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching the calling thread's loop.
    pub(crate) fn start(threshold: Duration, on_stall: Option<StallCallback>) -> std::io::Result<Watchdog> {
        let beacon = Arc::new(Beacon::new());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("evloop-stall-watchdog".into())
            .spawn({
                let beacon = beacon.clone();
                let stop = stop.clone();
                move || watch(&beacon, &stop, threshold, on_stall)
            })?;
        Ok(Watchdog {
            beacon,
            stop,
            thread: Some(thread),
        })
    }

    /// What the loop publishes to.
    #[inline]
    pub(crate) fn beacon(&self) -> &Beacon {
        &self.beacon
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn watch(beacon: &Beacon, stop: &AtomicBool, threshold: Duration, on_stall: Option<StallCallback>) {
    super::symbols::warm_up();
    let look_every = (threshold / 8).clamp(Duration::from_millis(1), Duration::from_millis(100));
    // The run in progress at the last look, since when, and whether it was reported.
    let mut seen = (0u64, Instant::now(), false);
    while !stop.load(Ordering::Acquire) {
        std::thread::park_timeout(look_every);
        let word = beacon.word();
        if decode(word).is_none() {
            seen.0 = 0;
            continue;
        }
        if word != seen.0 {
            seen = (word, Instant::now(), false);
            continue;
        }
        let elapsed = seen.1.elapsed();
        if seen.2 || elapsed < threshold {
            continue;
        }
        seen.2 = true;
        if let Some(stall) = describe(beacon, word, elapsed) {
            report(&stall, on_stall.as_ref());
        }
    }
}

/// Asks the loop thread about the run published as `word`; `None` if it
/// ended meanwhile.
fn describe(beacon: &Beacon, word: u64, elapsed: Duration) -> Option<Stall> {
    let Some(capture) = super::capture::capture(beacon, word, PATIENCE) else {
        if beacon.word() != word {
            return None;
        }
        return Some(Stall {
            task_id: None,
            task_name: UNKNOWN.to_string(),
            spawned_at: None,
            elapsed,
            backtrace: None,
        });
    };
    if !capture.still_running {
        return None;
    }
    let (task_id, task_name) = if capture.callback {
        (None, CALLBACK_NAME.to_string())
    } else if capture.task_id == 0 {
        (None, UNKNOWN.to_string())
    } else if capture.task_id == beacon.main_id() {
        (Some(TaskId::from_u64(capture.task_id)), MAIN_TASK_NAME.to_string())
    } else {
        let name = capture.name.unwrap_or_else(|| format!("Task-{}", capture.task_id));
        (Some(TaskId::from_u64(capture.task_id)), name)
    };
    Some(Stall {
        task_id,
        task_name,
        spawned_at: capture.at,
        elapsed,
        backtrace: super::symbols::symbolize(&capture.frames),
    })
}

fn report(stall: &Stall, on_stall: Option<&StallCallback>) {
    match on_stall {
        Some(callback) => {
            let call = std::panic::AssertUnwindSafe(|| callback(stall));
            if std::panic::catch_unwind(call).is_err() {
                eprintln!("evloop: the on_stall callback panicked; the report was: {stall}");
            }
        }
        None => eprintln!("evloop: {stall}"),
    }
}
