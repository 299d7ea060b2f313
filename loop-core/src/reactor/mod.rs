//! The reactor: `mio::Poll`, the registered I/O sources, and readiness
//! turned into wakes.
//!
//! Every source is registered once, edge-triggered, for both read and write
//! readiness. An event sets the source's `readable` / `writable` flag and
//! takes the waker stored for that direction. The flag stays set until the
//! I/O operation that consumes it returns `WouldBlock` and clears it
//! ([`IoSource::poll_io`]), so an edge is never lost: a read that returns
//! fewer bytes than asked leaves the flag set and the next read tries again
//! at once. Events are only handled between polls (step 4 of the tick), so
//! no event can slip in between a `WouldBlock` and the flag being cleared.
//!
//! Tokens: a source's token packs its slab key and a generation, so an event
//! for a source deregistered in the same tick cannot reach a newer source in
//! the same slot. Two tokens are reserved: the remote queue's `mio::Waker`
//! and (on Linux) the timerfd used for precise timer wakeups.

mod source;
#[cfg(target_os = "linux")]
mod timerfd;

pub use source::{Direction, IoSource};

use std::io;
use std::task::Waker;
use std::time::Duration;

use mio::{Events, Poll, Registry, Token};
use slab::Slab;

/// The token of the remote queue's `mio::Waker`.
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);
#[cfg(target_os = "linux")]
const TIMER_TOKEN: Token = Token(usize::MAX - 1);

const KEY_BITS: u32 = 32;

/// What the reactor knows about one registered source.
pub(crate) struct IoState {
    generation: u32,
    readable: bool,
    writable: bool,
    /// An event reported the peer closed its sending side (or hung up).
    read_closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
    sources: Slab<IoState>,
    next_generation: u32,
    wakers: Vec<Waker>,
    #[cfg(target_os = "linux")]
    timer: timerfd::TimerFd,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        #[cfg(target_os = "linux")]
        let timer = timerfd::TimerFd::new(poll.registry(), TIMER_TOKEN)?;
        Ok(Reactor {
            poll,
            events: Events::with_capacity(1024),
            sources: Slab::new(),
            next_generation: 0,
            wakers: Vec::new(),
            #[cfg(target_os = "linux")]
            timer,
        })
    }

    pub(crate) fn registry(&self) -> &Registry {
        self.poll.registry()
    }

    /// True if any I/O source is registered (the waker and timer excluded).
    pub(crate) fn has_sources(&self) -> bool {
        !self.sources.is_empty()
    }

    /// Number of registered I/O sources.
    pub(crate) fn source_count(&self) -> usize {
        self.sources.len()
    }

    /// Registers `source`; returns its key.
    pub(crate) fn register(&mut self, source: &mut impl mio::event::Source) -> io::Result<usize> {
        self.next_generation = self.next_generation.wrapping_add(1);
        let generation = self.next_generation;
        let entry = self.sources.vacant_entry();
        let key = entry.key();
        assert!(key < (1 << KEY_BITS), "evloop: too many I/O sources");
        let token = Token(key | ((generation as usize) << KEY_BITS));
        self.poll
            .registry()
            .register(source, token, mio::Interest::READABLE | mio::Interest::WRITABLE)?;
        entry.insert(IoState {
            generation,
            readable: false,
            writable: false,
            read_closed: false,
            read_waker: None,
            write_waker: None,
        });
        Ok(key)
    }

    /// Deregisters `source` and forgets its state; returns the wakers that
    /// were waiting on it so the caller can wake them outside the borrow.
    pub(crate) fn deregister(&mut self, key: usize, source: &mut impl mio::event::Source) -> Vec<Waker> {
        let _ = self.poll.registry().deregister(source);
        let state = self.sources.remove(key);
        state.read_waker.into_iter().chain(state.write_waker).collect()
    }

    pub(crate) fn state(&mut self, key: usize) -> &mut IoState {
        &mut self.sources[key]
    }

    /// Waits for events (`None`: until one arrives) and returns the wakers to
    /// wake, with the number of I/O events.
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) -> (Vec<Waker>, usize) {
        let timeout = self.arm_precise(timeout);
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                panic!("evloop: polling for I/O events failed: {e}");
            }
        }
        let mut wakers = std::mem::take(&mut self.wakers);
        let mut count = 0;
        for event in self.events.iter() {
            let token = event.token();
            if token == WAKER_TOKEN {
                continue;
            }
            #[cfg(target_os = "linux")]
            if token == TIMER_TOKEN {
                self.timer.fired();
                continue;
            }
            let key = token.0 & ((1 << KEY_BITS) - 1);
            let generation = (token.0 >> KEY_BITS) as u32;
            let Some(state) = self.sources.get_mut(key) else {
                continue;
            };
            if state.generation != generation {
                continue;
            }
            count += 1;
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                state.readable = true;
                state.read_closed |= event.is_read_closed();
                wakers.extend(state.read_waker.take());
            }
            if event.is_writable() || event.is_write_closed() || event.is_error() {
                state.writable = true;
                wakers.extend(state.write_waker.take());
            }
        }
        (wakers, count)
    }

    /// The epoll (or kqueue) fd: readable whenever an event is pending.
    #[cfg(unix)]
    pub(crate) fn backend_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.poll.as_raw_fd()
    }

    /// Makes the backend fd readable `after` from now (Linux: the timerfd),
    /// so a host polling that fd hears of the next timer deadline. Elsewhere
    /// the host uses `EventLoop::next_deadline`.
    pub(crate) fn wake_backend_after(&mut self, after: Duration) {
        #[cfg(target_os = "linux")]
        if !after.is_zero() {
            let _ = self.timer.arm(after);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = after;
    }

    /// Gives the waker buffer back for reuse.
    pub(crate) fn recycle(&mut self, wakers: Vec<Waker>) {
        self.wakers = wakers;
    }

    /// mio rounds a poll timeout up to whole milliseconds. For a finite,
    /// non-zero wait, arm the timerfd for the exact time and give mio a
    /// slightly longer timeout as a safety net.
    #[cfg(target_os = "linux")]
    fn arm_precise(&mut self, timeout: Option<Duration>) -> Option<Duration> {
        match timeout {
            Some(t) if !t.is_zero() => {
                if self.timer.arm(t).is_ok() {
                    Some(t + Duration::from_millis(1))
                } else {
                    Some(t)
                }
            }
            other => other,
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn arm_precise(&mut self, timeout: Option<Duration>) -> Option<Duration> {
        timeout
    }
}

impl IoState {
    fn flag(&mut self, dir: Direction) -> (&mut bool, &mut Option<Waker>) {
        match dir {
            Direction::Read => (&mut self.readable, &mut self.read_waker),
            Direction::Write => (&mut self.writable, &mut self.write_waker),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct CountingWaker(AtomicUsize);
    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn readiness_from_a_real_socket_pair_becomes_wakes() {
        let mut reactor = Reactor::new().unwrap();
        let (mut a, mut b) = mio::net::UnixStream::pair().unwrap();
        let key_a = reactor.register(&mut a).unwrap();
        let key_b = reactor.register(&mut b).unwrap();
        assert_eq!(reactor.source_count(), 2);

        // Both ends start writable.
        let (wakers, n) = reactor.poll(Some(Duration::from_millis(100)));
        assert!(n >= 2 && wakers.is_empty(), "no wakers registered yet");
        assert!(reactor.state(key_a).writable && reactor.state(key_b).writable);
        assert!(!reactor.state(key_b).readable && !reactor.state(key_b).read_closed);

        // A reader waits on b; a write to a makes b readable and wakes it.
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        reactor.state(key_b).read_waker = Some(Waker::from(counter.clone()));
        a.write_all(b"ping").unwrap();
        let (wakers, _) = reactor.poll(Some(Duration::from_secs(5)));
        assert!(reactor.state(key_b).readable);
        assert_eq!(wakers.len(), 1);
        for w in wakers {
            w.wake();
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        let mut buf = [0u8; 8];
        assert_eq!(b.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"ping");

        // Closing the peer is a read edge too (read returns 0).
        reactor.state(key_b).readable = false;
        reactor.state(key_b).read_waker = Some(Waker::from(counter.clone()));
        let wakers = reactor.deregister(key_a, &mut a);
        assert!(wakers.is_empty());
        drop(a);
        let (wakers, _) = reactor.poll(Some(Duration::from_secs(5)));
        assert_eq!(wakers.len(), 1);
        assert!(reactor.state(key_b).readable);
        assert!(reactor.state(key_b).read_closed, "the close is remembered");
        assert_eq!(b.read(&mut buf).unwrap(), 0);
        reactor.deregister(key_b, &mut b);
        assert!(!reactor.has_sources());
    }

    #[test]
    fn a_poll_with_a_timeout_sleeps_until_the_timerfd_fires() {
        let mut reactor = Reactor::new().unwrap();
        let start = std::time::Instant::now();
        let (wakers, n) = reactor.poll(Some(Duration::from_micros(300)));
        assert!(wakers.is_empty() && n == 0);
        assert!(
            start.elapsed() >= Duration::from_micros(300),
            "woke before the deadline"
        );
    }

    #[test]
    fn stale_tokens_are_ignored_after_a_slot_is_reused() {
        let mut reactor = Reactor::new().unwrap();
        let (mut a, mut b) = mio::net::UnixStream::pair().unwrap();
        let key = reactor.register(&mut a).unwrap();
        reactor.deregister(key, &mut a);
        let key2 = reactor.register(&mut b).unwrap();
        assert_eq!(key, key2, "slab reuses the slot");
        assert_ne!(reactor.sources[key2].generation, 0);
        let old_token = Token(key | ((reactor.sources[key2].generation.wrapping_sub(1) as usize) << KEY_BITS));
        let new_token = Token(key2 | ((reactor.sources[key2].generation as usize) << KEY_BITS));
        assert_ne!(old_token, new_token);
    }
}
