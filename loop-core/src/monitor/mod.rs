//! Seeing inside the loop while it runs.
//!
//! # From "my service is slow" to the culprit
//!
//! 1. **Is the loop the bottleneck?** [`stats`] counts ticks, polls,
//!    wakes, I/O events and timers, always and for free. [`lag_monitor`]
//!    measures how late a periodic wake-up is (the seeds'
//!    `EventLoopMonitor`): lag means something holds the loop.
//! 2. **Which poll holds it?** `Builder::slow_poll_threshold` (or
//!    `EVLOOP_DEBUG=1`, like `PYTHONASYNCIODEBUG`) reports every poll that
//!    took longer, after it ends: a task's poll, the main task's, or a
//!    `call_soon` / `call_later` callback ([`SlowPoll::kind`]), with the
//!    name and the spawn site. It costs one relaxed atomic load per poll (a
//!    millisecond clock kept by a ticker thread).
//! 3. **The loop is stuck right now.** A slow-poll report comes only when
//!    the poll returns; a poll that never returns (a task blocking the
//!    thread on something only the loop could provide) says nothing.
//!    `Builder::stall_threshold` starts a watchdog thread that reports such
//!    a poll *while it runs*, once, as a [`Stall`]: name, spawn site,
//!    elapsed time and, on Linux, the loop thread's stack, which names the
//!    line that blocks. `EVLOOP_DEBUG=1` turns it on at 1 s. The loop pays two
//!    plain stores per poll.
//! 4. **Which tasks are there, and who burns the time?** [`tasks`] lists
//!    the live tasks as values ([`TaskSnapshot`]: state, polls, busy time,
//!    age, spawn site); [`dump_tasks`] prints the same as a table.
//!    `Builder::measure(true)` times every poll precisely (one CPU-counter
//!    read per poll): busy time per task and fixed-memory histograms of poll
//!    time, schedule latency (wake to poll), timer lateness and lag in
//!    [`stats`].
//! 5. **What happened, in order?** `Builder::trace_file` writes a Chrome
//!    trace (one slice per poll or callback, wakes, timer fires, run-queue
//!    depth) that Perfetto opens; [`flush_trace`] makes the file valid JSON
//!    at any moment, for example before `std::process::exit`.
//! 6. **Watch it live.** The facade's `evloop::monitor::serve(path, every)`
//!    streams [`stats`] and [`tasks`] as JSON lines over a Unix socket, and
//!    `cargo run --example top -- PATH` draws them in the terminal, tasks
//!    sorted by busy time:
//!
//! ```text
//! evloop top — /tmp/evloop-top-demo.sock
//!
//! ticks/s     17599   polls/s     17344   wakes/s     17344   tasks     7   io sources    2   timers     5
//!
//!                     p50                      p99                      max
//! poll time            369ns ··············     3.5µs █·············    6.92ms ████████······
//! wake to poll           0ns ··············     1.6µs ··············    6.92ms ████████······
//! timer lateness      20.5µs ███···········    6.93ms ████████······    6.93ms ████████······
//!
//!     id  name                     state        polls  polls/s       busy  busy%       age  spawned at
//!      4  cpu-burst                waiting         10       45    33.94ms   15.5  217.16ms  examples/top.rs:218:24
//!      5  yielder                  waiting       3737    17154     1.48ms    0.7  217.16ms  examples/top.rs:227:28
//!      1  main                     waiting         11       50    135.7µs    0.0  217.16ms  examples/top.rs:211:12
//! ```
//!
//! With no option set, none of this but the counters exists: the loop
//! holds no monitor and each hook is one untaken branch.

mod beacon;
mod capture;
pub(crate) mod coarse_clock;
mod dump;
mod flush;
pub(crate) mod histogram;
mod lag;
pub(crate) mod recorder;
mod slow_poll;
mod stall;
pub(crate) mod stamp;
pub(crate) mod stats;
mod symbols;
mod tasks;
mod trace;
mod watchdog;

pub use dump::dump_tasks;
pub use flush::flush_trace;
pub use histogram::Summary;
pub use lag::lag_monitor;
pub use slow_poll::{PollKind, SlowPoll};
pub use stall::Stall;
pub use stats::{stats, LoopStats};
pub use tasks::{tasks, TaskSnapshot, TaskState};
