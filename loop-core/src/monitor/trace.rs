//! Trace export in the Chrome trace-event format (JSON), which Perfetto
//! (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! One slice (`"ph": "X"`) per poll, named after the task; an instant
//! (`"ph": "i"`) per wake and per batch of fired timers; a counter
//! (`"ph": "C"`) for the run-queue depth at the start of each tick.
//! Timestamps are microseconds since the loop started; a poll's slice is
//! written from whole nanoseconds so that consecutive slices touch but
//! never overlap.
//!
//! # Always valid
//!
//! The file is an array of events. Every flush (`monitor::flush_trace`, and
//! the loop's close, also when it closes while unwinding from a panic)
//! writes what is buffered followed by the closing `\n]\n`, then seeks
//! back over those three bytes, so the next events overwrite them and the
//! next flush closes the array again. The file on disk is therefore a
//! valid JSON array after every flush; only what was recorded since the
//! last flush is lost if the process ends abruptly
//! (`std::process::exit`, an abort).

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

/// What closes the array.
const CLOSE: &[u8] = b"\n]\n";

/// Nanoseconds written as microseconds with three decimals, exactly.
struct Micros(u64);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

pub(crate) struct TraceWriter {
    out: BufWriter<File>,
    tid: u16,
    first: bool,
    finished: bool,
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

impl TraceWriter {
    pub(crate) fn create(path: &Path, tid: u16) -> io::Result<TraceWriter> {
        let mut w = TraceWriter {
            out: BufWriter::with_capacity(1 << 16, File::create(path)?),
            tid,
            first: true,
            finished: false,
        };
        w.out.write_all(b"[\n")?;
        w.event(format_args!(
            r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{tid},"args":{{"name":"evloop loop {tid}"}}}}"#
        ));
        w.flush()?;
        Ok(w)
    }

    fn event(&mut self, e: std::fmt::Arguments<'_>) {
        if !self.first {
            let _ = self.out.write_all(b",\n");
        }
        self.first = false;
        let _ = self.out.write_fmt(e);
    }

    /// One poll of `task` (`None`: a callback), from `start_ns` to `end_ns`
    /// since the loop started.
    pub(crate) fn poll(&mut self, name: &str, task: Option<u64>, start_ns: u64, end_ns: u64) {
        let mut n = String::with_capacity(name.len());
        escape(name, &mut n);
        let tid = self.tid;
        let (ts, dur) = (Micros(start_ns), Micros(end_ns.saturating_sub(start_ns)));
        match task {
            Some(task) => self.event(format_args!(
                r#"{{"name":"{n}","cat":"poll","ph":"X","ts":{ts},"dur":{dur},"pid":1,"tid":{tid},"args":{{"task":{task}}}}}"#
            )),
            None => self.event(format_args!(
                r#"{{"name":"{n}","cat":"callback","ph":"X","ts":{ts},"dur":{dur},"pid":1,"tid":{tid}}}"#
            )),
        }
    }

    /// A point event, with one numeric argument.
    pub(crate) fn instant(&mut self, name: &str, ts_us: f64, arg: &str, value: u64) {
        let tid = self.tid;
        self.event(format_args!(
            r#"{{"name":"{name}","cat":"{name}","ph":"i","s":"t","ts":{ts_us:.3},"pid":1,"tid":{tid},"args":{{"{arg}":{value}}}}}"#
        ));
    }

    /// A counter sample.
    pub(crate) fn counter(&mut self, name: &str, ts_us: f64, value: u64) {
        let tid = self.tid;
        self.event(format_args!(
            r#"{{"name":"{name}","ph":"C","ts":{ts_us:.3},"pid":1,"tid":{tid},"args":{{"depth":{value}}}}}"#
        ));
    }

    /// Writes everything so far and the closing bracket, then steps back
    /// over the bracket for the next events (module doc).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.out.write_all(CLOSE)?;
        self.out.flush()?;
        self.out.seek(SeekFrom::Current(-(CLOSE.len() as i64)))?;
        Ok(())
    }

    /// Closes the JSON array and flushes. Later events are dropped.
    pub(crate) fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            let _ = self.out.write_all(CLOSE);
            let _ = self.out.flush();
        }
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        self.finish();
    }
}
