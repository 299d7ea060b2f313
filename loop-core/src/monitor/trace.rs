//! Trace export in the Chrome trace-event format (JSON), which Perfetto
//! (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! One slice (`"ph": "X"`) per poll, named after the task; an instant
//! (`"ph": "i"`) per wake and per batch of fired timers; a counter
//! (`"ph": "C"`) for the run-queue depth at the start of each tick.
//! Timestamps are microseconds since the loop started. The file is an
//! array of events, closed with `]` when the loop closes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

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
        Ok(w)
    }

    fn event(&mut self, e: std::fmt::Arguments<'_>) {
        if !self.first {
            let _ = self.out.write_all(b",\n");
        }
        self.first = false;
        let _ = self.out.write_fmt(e);
    }

    /// One poll of `task`.
    pub(crate) fn poll(&mut self, name: &str, task: u64, ts_us: f64, dur_us: f64) {
        let mut n = String::with_capacity(name.len());
        escape(name, &mut n);
        let tid = self.tid;
        self.event(format_args!(
            r#"{{"name":"{n}","cat":"poll","ph":"X","ts":{ts_us:.3},"dur":{dur_us:.3},"pid":1,"tid":{tid},"args":{{"task":{task}}}}}"#
        ));
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

    /// Closes the JSON array and flushes. Later events are dropped.
    pub(crate) fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            let _ = self.out.write_all(b"\n]\n");
            let _ = self.out.flush();
        }
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        self.finish();
    }
}
