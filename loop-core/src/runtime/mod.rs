//! Running a loop: `EventLoop`, its `Builder`, `run`, and the close
//! protocol (`shutdown.rs`).

mod builder;
mod event_loop;
mod run;
mod shutdown;

pub use builder::Builder;
pub use event_loop::EventLoop;
pub use run::run;
