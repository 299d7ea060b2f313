//! The keep-alive pool: idle HTTP/1 connections per host, ready for reuse.
//!
//! A [`Conn`] is hyper's `SendRequest` plus the task that drives hyper's
//! `Connection` (reads and writes the socket). The pool holds the
//! connections of one [`Client`](super::Client) and all its clones, keyed
//! by `host:port`.
//!
//! # When a connection is in the pool
//!
//! A connection goes into the pool as soon as the response head has
//! arrived — before the caller has read the body. It is *busy* until the
//! body is read to the end; hyper then reports it ready (`is_ready`) for
//! the next request. Checking in that early means a task that reads a body
//! and sends its next request at once finds its connection waiting, with no
//! hand-over task in between. So the pool looks at each connection's state
//! whenever it scans a host:
//!
//! * **ready** (idle): handed out by [`Pool::checkout`], newest first; closed
//!   when it has been idle for `idle_timeout`, or when more than
//!   `max_idle_per_host` are idle (the oldest go first);
//! * **busy**: left alone (its body is still being read);
//! * **closed** (the server hung up, or a body was dropped half-read, which
//!   makes hyper close the connection): removed.
//!
//! A connection whose request is cancelled or times out is never checked
//! in: the request holds it in an [`InFlight`] guard, which closes it when
//! dropped before the response head arrived.
//!
//! While the pool holds connections, a sweeper task closes the idle ones
//! that expired every `idle_timeout / 2`; it ends when the pool is empty.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::client::conn::http1::SendRequest;

use super::builder::Config;
use crate::{BoxError, Task};

/// Every request body, whatever its type, boxed to one type so that one
/// connection can carry requests with different bodies.
pub(crate) type RequestBody = Pin<Box<dyn hyper::body::Body<Data = Bytes, Error = BoxError>>>;

/// One HTTP/1 connection: the sending half and the task that drives it.
pub(crate) struct Conn {
    pub(crate) sender: SendRequest<RequestBody>,
    driver: Task<()>,
}

impl Conn {
    pub(crate) fn new(sender: SendRequest<RequestBody>, driver: Task<()>) -> Conn {
        Conn { sender, driver }
    }

    /// Closes the socket now (at the loop's next opportunity).
    fn close(self) {
        self.driver.cancel();
    }

    fn is_closed(&self) -> bool {
        self.sender.is_closed() || self.driver.is_finished()
    }
}

// Dropping a `Conn` without `close` drops the sender and detaches the
// driver: hyper finishes the response in progress, if any, then closes.

/// A connection lent to one request. Dropped before [`InFlight::finish`] —
/// the request failed, was cancelled or timed out — it closes the
/// connection, which is never reused.
pub(crate) struct InFlight(Option<Conn>);

impl InFlight {
    pub(crate) fn new(conn: Conn) -> InFlight {
        InFlight(Some(conn))
    }

    pub(crate) fn sender(&mut self) -> &mut SendRequest<RequestBody> {
        &mut self.0.as_mut().expect("InFlight used after finish").sender
    }

    /// The response head arrived: the connection may go back to the pool.
    pub(crate) fn finish(mut self) -> Conn {
        self.0.take().expect("InFlight finished twice")
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.close();
        }
    }
}

/// The pool shared by a `Client` and its clones.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Rc<PoolInner>,
}

struct PoolInner {
    config: Config,
    hosts: RefCell<HashMap<String, Vec<Entry>>>,
    sweeper: RefCell<Option<Task<()>>>,
}

struct Entry {
    conn: Conn,
    /// When it was checked in or last seen busy: it has been idle at most
    /// since then.
    since: Instant,
}

impl Pool {
    pub(crate) fn new(config: Config) -> Pool {
        Pool {
            inner: Rc::new(PoolInner {
                config,
                hosts: RefCell::new(HashMap::new()),
                sweeper: RefCell::new(None),
            }),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The newest ready connection to `host`, if any, after tidying the
    /// host's connections as `checkin` and the sweeper do (`tidy`).
    pub(crate) fn checkout(&self, host: &str) -> Option<Conn> {
        let now = crate::time();
        let (dead, found) = {
            let mut hosts = self.inner.hosts.borrow_mut();
            let entries = hosts.get_mut(host)?;
            let dead = tidy(entries, now, &self.inner.config);
            // What is left is busy or ready; the newest ready one is last.
            let newest = entries.iter().rposition(|e| e.conn.sender.is_ready());
            (dead, newest.map(|i| entries.remove(i).conn))
        };
        // Closed with no borrow held: cancelling may drop a driver here.
        dead.into_iter().for_each(|e| e.conn.close());
        found
    }

    /// Puts a connection back after its response head arrived.
    pub(crate) fn checkin(&self, host: &str, conn: Conn) {
        if self.inner.config.max_idle_per_host == 0 || conn.is_closed() {
            return; // dropped: hyper closes it once the body is read
        }
        let now = crate::time();
        let dead = {
            let mut hosts = self.inner.hosts.borrow_mut();
            let entries = match hosts.get_mut(host) {
                Some(entries) => entries,
                None => hosts.entry(host.to_string()).or_default(),
            };
            entries.push(Entry { conn, since: now });
            tidy(entries, now, &self.inner.config)
        };
        dead.into_iter().for_each(|e| e.conn.close());
        self.start_sweeper();
    }

    /// Spawns the sweeper if it is not running.
    fn start_sweeper(&self) {
        let mut sweeper = self.inner.sweeper.borrow_mut();
        if sweeper.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let period = (self.inner.config.idle_timeout / 2).max(Duration::from_millis(1));
        let pool = Rc::downgrade(&self.inner);
        *sweeper = Some(crate::spawn_named("evloop::http pool sweeper", sweep(pool, period)));
    }
}

/// Closes the idle connections of `pool` that expired, every `period`,
/// until the pool is empty or gone.
async fn sweep(pool: Weak<PoolInner>, period: Duration) {
    loop {
        crate::sleep(period).await;
        let Some(pool) = pool.upgrade() else { return };
        let now = crate::time();
        let (dead, left) = {
            let mut hosts = pool.hosts.borrow_mut();
            let mut dead = Vec::new();
            for entries in hosts.values_mut() {
                dead.extend(tidy(entries, now, &pool.config));
            }
            hosts.retain(|_, entries| !entries.is_empty());
            (dead, hosts.len())
        };
        dead.into_iter().for_each(|e| e.conn.close());
        if left == 0 {
            return;
        }
    }
}

/// Removes from `entries` the closed connections, the idle
/// ones older than `idle_timeout`, and the oldest idle ones beyond
/// `max_idle_per_host`; returns them for closing once no borrow is held.
fn tidy(entries: &mut Vec<Entry>, now: Instant, config: &Config) -> Vec<Entry> {
    let mut dead = Vec::new();
    let mut idle = 0;
    // Newest first, so that the newest idle ones count towards the limit.
    let mut i = entries.len();
    while i > 0 {
        i -= 1;
        let entry = &mut entries[i];
        if entry.conn.is_closed() {
            dead.push(entries.remove(i));
        } else if !entry.conn.sender.is_ready() {
            entry.since = now; // busy
        } else if now.saturating_duration_since(entry.since) >= config.idle_timeout || idle >= config.max_idle_per_host
        {
            dead.push(entries.remove(i));
        } else {
            idle += 1;
        }
    }
    dead
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        if let Some(sweeper) = self.sweeper.get_mut().take() {
            sweeper.cancel();
        }
        for (_, entries) in self.hosts.get_mut().drain() {
            for entry in entries {
                // An idle connection closes now; a busy one finishes the
                // body its caller is reading, then hyper closes it.
                if entry.conn.sender.is_ready() {
                    entry.conn.close();
                }
            }
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.hosts.try_borrow() {
            Ok(hosts) => {
                let mut map = f.debug_map();
                for (host, entries) in hosts.iter() {
                    map.entry(host, &entries.len());
                }
                map.finish()
            }
            Err(_) => f.write_str("{..}"),
        }
    }
}
