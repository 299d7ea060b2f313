//! Unix signals as awaitable events: asyncio's `loop.add_signal_handler`.
//!
//! ```no_run
//! use evloop::signal::{signal, SignalKind};
//!
//! evloop::run(async {
//!     let mut term = signal(SignalKind::Terminate).unwrap();
//!     let server = evloop::spawn(async { /* serve */ });
//!     term.recv().await;
//!     server.cancel();
//! });
//! ```
//!
//! Handlers are installed with `signal-hook`, whose handler only writes to a
//! self-pipe that the loop watches (`signal-hook-mio`), so no code of yours
//! runs in signal context. Once a signal has been listened for, its default
//! action (for `SIGINT` and `SIGTERM`: ending the process) no longer happens,
//! even after every listener is dropped: the program decides what a signal
//! means from then on.

mod kind;
mod signals;

pub use kind::SignalKind;
pub use signals::Signals;

use std::io;

/// Starts listening for `kind`; deliveries from now on reach
/// [`Signals::recv`].
///
/// ```
/// use evloop::signal::{signal, SignalKind};
///
/// evloop::run(async {
///     let mut usr1 = signal(SignalKind::User1).unwrap();
///     // SAFETY: raise(3) only sends a signal to this process, which now
///     // has a handler for SIGUSR1.
///     unsafe { libc::raise(libc::SIGUSR1) };
///     usr1.recv().await.unwrap();
/// });
/// ```
///
/// # Panics
/// Outside a running loop.
pub fn signal(kind: SignalKind) -> io::Result<Signals> {
    Signals::new(kind)
}

/// Waits for Ctrl-C (`SIGINT`). The handler is installed when the future is
/// first polled; from then on Ctrl-C no longer ends the process by itself.
///
/// # Panics
/// When polled outside a running loop.
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = signal(SignalKind::Interrupt)?;
    interrupts.recv().await;
    Ok(())
}
