//! Turning the return addresses a stall capture took into readable frames.

/// Loads the debug information now, on the watchdog thread while nothing
/// is stalled, so that the first report is not late by the time it takes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn warm_up() {
    backtrace::resolve(warm_up as *mut std::ffi::c_void, |_| {});
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn warm_up() {}

/// One line per frame, innermost first: the function and, below it,
/// `file:line` when debug information has it. Frames of the capture
/// itself (the signal handler and the kernel's trampoline) are left out.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn symbolize(frames: &[usize]) -> Option<String> {
    use std::fmt::Write;

    if frames.is_empty() {
        return None;
    }
    let mut lines: Vec<(String, Option<String>)> = Vec::with_capacity(frames.len());
    for (i, &ip) in frames.iter().enumerate() {
        // A return address points after the call; step back into it, except
        // for the interrupted instruction itself (the frame above the
        // trampoline), where it does no harm either.
        let addr = if i == 0 { ip } else { ip.saturating_sub(1) };
        let mut found = false;
        backtrace::resolve(addr as *mut std::ffi::c_void, |symbol| {
            let name = symbol.name().map_or_else(|| format!("{ip:#x}"), |n| format!("{n:#}"));
            let place = match (symbol.filename(), symbol.lineno()) {
                (Some(file), Some(line)) => Some(format!("{}:{line}", file.display())),
                _ => None,
            };
            lines.push((name, place));
            found = true;
        });
        if !found {
            lines.push((format!("{ip:#x}"), None));
        }
    }
    // Drop the capture's frames: the handler and, above it, the kernel's
    // signal trampoline (`__restore_rt`, often without a symbol).
    if let Some(handler) = lines.iter().position(|(name, _)| name.contains("capture::on_signal")) {
        let mut end = handler + 1;
        if lines
            .get(end)
            .is_some_and(|(name, _)| name.contains("__restore_rt") || name.starts_with("0x"))
        {
            end += 1;
        }
        lines.drain(..end);
    }
    // Keep what the poll called: stop at the loop's own frames (the task
    // cell's poll or the callback's run), when they can be recognised.
    let below = lines.iter().position(|(name, _)| {
        name.starts_with("evloop_core::task::raw::poll_cell")
            || name.starts_with("evloop_core::callback::CallbackCell::run")
    });
    let cut = below.is_some();
    if let Some(below) = below {
        lines.truncate(below);
    }
    let mut out = String::new();
    for (i, (name, place)) in lines.iter().enumerate() {
        let _ = writeln!(out, "{i:>4}: {name}");
        if let Some(place) = place {
            let _ = writeln!(out, "          at {place}");
        }
    }
    if cut {
        out.push_str("      (then the loop's own frames: the poll, the tick, block_on)\n");
    }
    Some(out)
}

/// No stacks here (module doc of `capture.rs`).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn symbolize(_frames: &[usize]) -> Option<String> {
    None
}
