//! Closing a loop: the whole protocol, in order (asyncio.run's cleanup:
//! cancel what is left, let it finish, shut the executor down).
//!
//! The closing loop stays installed on its thread from the first step to
//! the last — over another loop that may be running there (loop B dropped
//! inside a task of loop A) — so every destructor, `on_cancel` hook,
//! dropped callback and dropped message sees *this* loop: its `spawn`s are
//! refused cleanly, its `call_soon`s land here and are dropped in turn, and
//! nothing lands on another loop.
//!
//! 1. **Refuse blocking jobs**: `to_thread` now fails with a refused
//!    `TaskError`, so cancelled tasks cannot start new thread work.
//! 2. **Cancel and turn** (skipped while unwinding from a panic, or when
//!    another loop runs on this thread, since neither may block): cancel
//!    every task and tick until the run queue is quiet, so cleanup that does
//!    not wait runs; then, for at most `CLOSE_GRACE`, keep ticking while
//!    tasks their cleanup spawned wait (a timer, a socket); then cancel what
//!    is left, in rounds.
//! 3. **Drop what is left**, in rounds until a round finds nothing: new
//!    tasks are refused from now on (`task/tasks.rs`); every live task's
//!    future, every refused task's future, every armed timer (a `sleep`'s
//!    waker, a `call_later` closure), every queued callback and every
//!    message other threads had queued is dropped. A destructor chain that
//!    keeps spawning is cut after `CLOSE_ROUNDS` rounds, and what is left
//!    is leaked with a warning rather than dropped.
//! 4. **Close the inbox**: other threads' sends fail from now on
//!    (`LoopClosed`), and a `RemoteTask` whose job was dropped resolves as
//!    cancelled. (The inbox is closed at the start of step 3, so messages
//!    are dropped with everything else.)
//! 5. **Finish the monitor** (the trace file gets its closing bracket).
//! 6. **Shut the blocking pool down**: wait once, at most
//!    `blocking_shutdown_timeout`, for jobs still running; join the threads.

use std::rc::Rc;
use std::time::Duration;

use crate::context::{self, Enter};
use crate::core::Core;
use crate::scheduler::TickMode;
use crate::task::TaskError;

/// Rounds of "cancel everything, then run until quiet", and of dropping
/// what is left, before the rest is leaked.
const CLOSE_ROUNDS: usize = 64;
/// Ticks per round of "run until quiet".
const CLOSE_TICKS: usize = 1024;
/// How long tasks spawned by cleanup may keep waiting.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Closes `core` (see the module doc). Called once per loop.
pub(crate) fn close(core: &Rc<Core>) {
    let may_turn = !std::thread::panicking() && !context::is_running();
    let _enter = Enter::closing(core);
    core.blocking().close();
    if may_turn {
        cancel_and_turn(core);
    }
    drop_what_is_left(core);
    if let Some(m) = core.monitor() {
        m.finish();
    }
    core.blocking().shutdown();
}

/// Step 2.
fn cancel_and_turn(core: &Core) {
    core.cancel_all();
    run_until_quiet(core);
    let clock = core.timers().clock();
    let deadline = clock.now() + CLOSE_GRACE;
    let wake_up = crate::call_at(deadline, || {});
    while core.tasks().len() > 0 && clock.now() < deadline {
        core.tick(TickMode::RunForever);
        core.take_stop_request();
    }
    wake_up.cancel();
    for _ in 0..CLOSE_ROUNDS {
        if core.cancel_all() == 0 {
            break;
        }
        run_until_quiet(core);
    }
}

/// Ticks without waiting until nothing is ready (bounded).
fn run_until_quiet(core: &Core) {
    for _ in 0..CLOSE_TICKS {
        core.tick(TickMode::Drain);
        if core.run_queue().is_empty() {
            break;
        }
    }
}

/// Steps 3 and 4. All of it is a cancellation: a task handle being awaited
/// by a future dropped here cancels its task too.
fn drop_what_is_left(core: &Core) {
    crate::cancel::as_cancellation(|| drop_in_rounds(core));
}

fn drop_in_rounds(core: &Core) {
    core.tasks().refuse_new();
    core.inbox().close();
    for _ in 0..CLOSE_ROUNDS {
        let mut dropped_any = false;
        for (slot, generation, task) in core.tasks().snapshot() {
            // A destructor run earlier in this round may have ended it.
            if core.tasks().is_live(slot, generation) {
                task.drop_future(TaskError::cancelled());
                core.tasks().finish(task);
                dropped_any = true;
            }
        }
        dropped_any |= core.tasks().drop_refused();
        let timers = core.timers().drain();
        dropped_any |= !timers.is_empty();
        drop(timers);
        let mut queued = core.run_queue().take_all().peekable();
        dropped_any |= queued.peek().is_some();
        queued.for_each(drop);
        if !dropped_any {
            return;
        }
    }
    let leaked = core.tasks().leak_refused();
    eprintln!(
        "evloop: while the loop closed, destructors kept spawning tasks or queueing callbacks; \
         {leaked} task(s) were leaked without being dropped"
    );
}
