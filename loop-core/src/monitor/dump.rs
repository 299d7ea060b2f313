//! `dump_tasks`: a table of live tasks, like a thread dump.

use std::fmt::Write;

use crate::context;

/// One line per live task: id, name, state, polls, busy time (when
/// measuring is on) and where it was spawned.
///
/// ```
/// # use evloop_core as evloop;
/// evloop::run(async {
///     let _sleeper = evloop::spawn_named("sleeper", evloop::sleep(std::time::Duration::from_secs(60)));
///     evloop::yield_now().await;
///     let dump = evloop::monitor::dump_tasks();
///     assert!(dump.contains("sleeper") && dump.contains("waiting"));
///     println!("{dump}");
/// });
/// ```
///
/// States: `running` (being polled: it called `dump_tasks`), `scheduled`
/// (queued to run), `cancelling` (cancelled, not yet dropped), `waiting`
/// (for a wake).
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn dump_tasks() -> String {
    context::with_core("evloop::monitor::dump_tasks", |core| {
        let measuring = core.monitor().and_then(|m| m.ticks());
        let current = core.tasks().current_slot();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:>8}  {:<24} {:<10} {:>8} {:>12}  spawned at",
            "id", "name", "state", "polls", "busy"
        );
        for (slot, generation, task, scheduled) in core.tasks().snapshot() {
            let state = if current == Some((slot, generation)) {
                "running"
            } else if task.is_cancel_requested() {
                "cancelling"
            } else if scheduled {
                "scheduled"
            } else {
                "waiting"
            };
            let busy = match measuring {
                Some(ticks) => format!("{:.3?}", ticks.to_duration(task.busy_ticks())),
                None => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "{:>8}  {:<24} {:<10} {:>8} {:>12}  {}",
                task.id(),
                task.name(),
                state,
                task.polls(),
                busy,
                task.spawned_at()
            );
        }
        out
    })
}
