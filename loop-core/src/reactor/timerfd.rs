//! A Linux timerfd registered with mio, so the loop can sleep until a timer
//! deadline with microsecond precision instead of mio's whole milliseconds.
//!
//! The fd is non-blocking and registered edge-triggered for reads. `arm`
//! sets a one-shot relative expiry (re-arming replaces the previous one);
//! when it expires the fd becomes readable, the poll returns, and `fired`
//! reads the expiry count so the next expiry makes a new edge.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

pub(crate) struct TimerFd {
    fd: OwnedFd,
    /// The instant the fd is armed for, to skip re-arming for the same wait.
    armed: Option<Instant>,
}

impl TimerFd {
    pub(crate) fn new(registry: &Registry, token: Token) -> io::Result<TimerFd> {
        // SAFETY: plain syscall with constant arguments; the result is checked.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        registry.register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)?;
        Ok(TimerFd { fd, armed: None })
    }

    /// Makes the fd readable `after` from now.
    pub(crate) fn arm(&mut self, after: Duration) -> io::Result<()> {
        let now = Instant::now();
        let target = now + after;
        if let Some(armed) = self.armed {
            // Already armed for (nearly) this instant and still pending.
            let gap = if armed > target { armed - target } else { target - armed };
            if armed > now && gap < Duration::from_micros(2) {
                return Ok(());
            }
        }
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec {
                tv_sec: after.as_secs() as libc::time_t,
                // A zero it_value would disarm; the caller never asks for 0.
                tv_nsec: after.subsec_nanos().max(1) as libc::c_long,
            },
        };
        // SAFETY: `fd` is a valid timerfd; `spec` is a valid itimerspec and
        // the old-value pointer may be null.
        let rc = unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if rc < 0 {
            self.armed = None;
            return Err(io::Error::last_os_error());
        }
        self.armed = Some(target);
        Ok(())
    }

    /// Drains the expiry count after the fd reported readable.
    pub(crate) fn fired(&mut self) {
        let mut count = 0u64;
        // SAFETY: reads 8 bytes into a u64 we own, from a valid fd; a
        // WouldBlock (spurious event) simply returns -1.
        unsafe { libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
        self.armed = None;
    }
}
