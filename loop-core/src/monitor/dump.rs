//! `dump_tasks`: a table of live tasks, like a thread dump; the rendering
//! of [`tasks`](super::tasks).

use std::fmt::Write;

use super::tasks::tasks;

/// One line per live task: id, name, state, polls, busy time (when polls
/// are timed precisely), age (when a monitoring option is on) and where it
/// was spawned. [`tasks`](super::tasks) gives the same as values.
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
/// States: `running` (being polled: it called `dump_tasks`), `ready`
/// (queued to run, or cancelled and queued to be dropped), `waiting` (for a
/// wake).
///
/// # Panics
/// Outside a running loop ("no running event loop").
#[track_caller]
pub fn dump_tasks() -> String {
    let tasks = tasks();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>8}  {:<24} {:<8} {:>8} {:>12} {:>10}  spawned at",
        "id", "name", "state", "polls", "busy", "age"
    );
    for task in tasks {
        let busy = task.busy().map_or_else(|| "-".to_string(), |d| format!("{d:.3?}"));
        let age = match task.age_known() {
            true => format!("{:.3?}", task.age()),
            false => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "{:>8}  {:<24} {:<8} {:>8} {:>12} {:>10}  {}",
            task.id(),
            task.name(),
            task.state(),
            task.polls(),
            busy,
            age,
            task.spawned_at()
        );
    }
    out
}
