//! `flush_trace`: the trace file made valid on demand.

use crate::context;

/// Writes the trace recorded so far to the trace file (`Builder::trace_file`)
/// and closes its JSON array, so that the file is a valid trace even if the
/// process ends now — call it before `std::process::exit`. Later events
/// are appended after it, and the array is closed again at the next flush
/// and when the loop closes (also when a panic unwinds through
/// `run`). Without a trace file it does nothing.
///
/// ```
/// # use evloop_core as evloop;
/// let path = std::env::temp_dir().join(format!("evloop-flush-doc-{}.json", std::process::id()));
/// let lp = evloop::EventLoop::builder().trace_file(&path).build().unwrap();
/// lp.block_on(async {
///     evloop::yield_now().await;
///     evloop::monitor::flush_trace().unwrap();
/// });
/// let text = std::fs::read_to_string(&path).unwrap();
/// assert!(text.trim_end().ends_with(']'));
/// # std::fs::remove_file(&path).ok();
/// ```
///
/// # Errors
/// The file could not be written.
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn flush_trace() -> std::io::Result<()> {
    context::with_core("evloop::monitor::flush_trace", |core| match core.monitor() {
        Some(m) => m.flush_trace(),
        None => Ok(()),
    })
}
