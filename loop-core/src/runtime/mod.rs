//! Running a loop: `EventLoop`, its `Builder`, and `run`.

mod builder;
mod event_loop;
mod run;

pub use builder::Builder;
pub use event_loop::EventLoop;
pub use run::run;
