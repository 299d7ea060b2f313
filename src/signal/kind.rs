//! `SignalKind`: the Unix signals a program usually handles.

use std::fmt;

/// A Unix signal that [`signal`](super::signal) can listen for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalKind {
    /// `SIGINT`: Ctrl-C in a terminal.
    Interrupt,
    /// `SIGTERM`: the polite request to exit (`kill`, service managers).
    Terminate,
    /// `SIGHUP`: the terminal went away; daemons take it as "reload".
    Hangup,
    /// `SIGUSR1`: free for the program's own use.
    User1,
    /// `SIGUSR2`: free for the program's own use.
    User2,
}

impl SignalKind {
    /// The signal's number (`libc::SIGINT`, ...).
    pub fn as_raw(self) -> i32 {
        use signal_hook::consts::signal::*;
        match self {
            SignalKind::Interrupt => SIGINT,
            SignalKind::Terminate => SIGTERM,
            SignalKind::Hangup => SIGHUP,
            SignalKind::User1 => SIGUSR1,
            SignalKind::User2 => SIGUSR2,
        }
    }

    /// The signal's name, as in `SIGINT`.
    pub fn name(self) -> &'static str {
        match self {
            SignalKind::Interrupt => "SIGINT",
            SignalKind::Terminate => "SIGTERM",
            SignalKind::Hangup => "SIGHUP",
            SignalKind::User1 => "SIGUSR1",
            SignalKind::User2 => "SIGUSR2",
        }
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
