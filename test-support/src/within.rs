//! A guard against hangs.

use std::sync::mpsc;
use std::time::Duration;

/// Runs `f` on a fresh thread and fails the test if it takes longer than
/// `limit` — a guard against hangs, not a timing assertion. A panic in `f`
/// is passed on.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => {
            worker.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The closure panicked: surface its panic.
            match worker.join() {
                Err(p) => std::panic::resume_unwind(p),
                Ok(()) => unreachable!(),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the test hung for more than {limit:?}"),
    }
}
