//! One snapshot of the running loop as one line of JSON, written by hand
//! (the library has no serde): what [`serve`](super::serve) sends.

use std::fmt::Write;
use std::time::Duration;

use super::{stats, tasks, LoopStats, Summary};

/// `{"stats":{...},"histograms":{...},"tasks":[...]}` and a newline.
pub(crate) fn snapshot_line() -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("{\"stats\":");
    let stats = stats();
    write_counters(&mut out, &stats);
    out.push_str(",\"histograms\":{");
    let histograms = [
        ("poll_time", stats.poll_time),
        ("schedule_latency", stats.schedule_latency),
        ("timer_lateness", stats.timer_lateness),
        ("loop_lag", stats.loop_lag),
    ];
    let mut first = true;
    for (name, summary) in histograms {
        if let Some(summary) = summary {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "\"{name}\":");
            write_summary(&mut out, &summary);
        }
    }
    out.push_str("},\"tasks\":[");
    for (i, task) in tasks().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"id\":{},\"name\":", task.id().as_u64());
        write_string(&mut out, task.name());
        let _ = write!(
            out,
            ",\"state\":\"{}\",\"polls\":{},\"busy_ns\":",
            task.state().as_str(),
            task.polls()
        );
        match task.busy() {
            Some(busy) => {
                let _ = write!(out, "{}", nanos(busy));
            }
            None => out.push_str("null"),
        }
        let _ = write!(out, ",\"age_ns\":{},\"spawned_at\":", nanos(task.age()));
        write_string(&mut out, &task.spawned_at().to_string());
        out.push('}');
    }
    out.push_str("]}\n");
    out
}

fn write_counters(out: &mut String, s: &LoopStats) {
    let counters = [
        ("ticks", s.ticks),
        ("polls", s.polls),
        ("tasks_spawned", s.tasks_spawned),
        ("tasks_alive", s.tasks_alive),
        ("task_store_size", s.task_store_size),
        ("wakes_local", s.wakes_local),
        ("wakes_remote", s.wakes_remote),
        ("io_events", s.io_events),
        ("timers_fired", s.timers_fired),
        ("timers_pending", s.timers_pending),
        ("timer_store_size", s.timer_store_size),
        ("run_queue_size", s.run_queue_size),
        ("io_sources", s.io_sources),
        ("callbacks_run", s.callbacks_run),
        ("blocking_threads", s.blocking_threads),
        ("busy_poll_spins", s.busy_poll_spins),
        ("busy_poll_hits", s.busy_poll_hits),
    ];
    out.push('{');
    for (i, (name, value)) in counters.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{name}\":{value}");
    }
    out.push('}');
}

fn write_summary(out: &mut String, s: &Summary) {
    let _ = write!(
        out,
        "{{\"count\":{},\"p50_ns\":{},\"p99_ns\":{},\"max_ns\":{}}}",
        s.count,
        nanos(s.p50),
        nanos(s.p99),
        nanos(s.max)
    );
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// A JSON string literal.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::write_string;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}
