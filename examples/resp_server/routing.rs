//! Key ownership across shards (`--shards N`): each key belongs to one
//! shard, chosen by a hash of the key; a connection may land on any shard.
//!
//! A command for a key the connection's shard owns runs at once, as with
//! one shard. A command for a key owned elsewhere is put in a batch for
//! the owner, and its place in the connection's output is marked with a
//! *hole*. When the connection has parsed what it read, its batch for each
//! owner goes to the shard's outbox (`outbox.rs`), which sends what all
//! its connections posted in a tick as one message
//! (`LoopHandle::spawn_with`, so the batch runs on the owner's thread
//! against the owner's store); the replies come back and the holes are
//! filled in order: pipelining order is kept per connection. Commands for
//! one owner run in the order the connection sent them (one message per
//! owner per batch, and a connection waits for its batch before parsing
//! more).
//!
//! Several keys on several shards fan out and are gathered: `MGET` asks
//! each key's owner for a GET reply and lays them out in key order; `DEL`
//! and `EXISTS` send each owner its keys and add up the counts; `DBSIZE`
//! asks every shard; `FLUSHALL` tells every shard.

use std::cell::RefCell;
use std::hash::Hasher;
use std::rc::Rc;

use evloop::shard::Shard;

use super::commands::{FastHasher, Next, Store};
use super::outbox::{Outbox, Trip};
use super::protocol::{reply, Args};

/// Most commands for other shards in one batch: a bound on the replies a
/// connection waits for (and holds) at once.
pub const MAX_REMOTE_PER_BATCH: usize = 64;

/// The shard that owns `key`, among `shards`.
pub fn owner_of(key: &[u8], shards: usize) -> usize {
    let mut hasher = FastHasher::default();
    hasher.write(key);
    // Bits 32..64 of the hash: the map inside each shard indexes its
    // buckets by the low bits and tags them with the top seven, so neither
    // is skewed by the choice of shard.
    let bits = (hasher.finish() >> 32) & 0xffff_ffff;
    ((bits * shards as u64) >> 32) as usize
}

thread_local! {
    /// This shard's store, for batches that other shards send here.
    static SHARD_STORE: RefCell<Option<Rc<RefCell<Store>>>> = const { RefCell::new(None) };
}

/// Makes `store` the one this thread's shard serves to other shards.
pub fn install_store(store: Rc<RefCell<Store>>) {
    SHARD_STORE.with(|slot| *slot.borrow_mut() = Some(store));
}

/// Commands for one owner, flattened into one buffer so a batch is a few
/// allocations however many commands it holds.
#[derive(Default, Debug)]
pub struct Batch {
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Where each command's arguments end in `spans`.
    ends: Vec<usize>,
}

impl Batch {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.spans.clear();
        self.ends.clear();
    }

    /// Appends `other`'s commands; returns the index of its first one.
    pub fn append(&mut self, other: &Batch) -> usize {
        let (first, data_at, spans_at) = (self.ends.len(), self.data.len(), self.spans.len());
        self.data.extend_from_slice(&other.data);
        self.spans
            .extend(other.spans.iter().map(|&(a, b)| (a + data_at, b + data_at)));
        self.ends.extend(other.ends.iter().map(|&end| end + spans_at));
        first
    }

    fn push<'a>(&mut self, parts: impl IntoIterator<Item = &'a [u8]>) -> usize {
        for part in parts {
            let start = self.data.len();
            self.data.extend_from_slice(part);
            self.spans.push((start, self.data.len()));
        }
        self.ends.push(self.spans.len());
        self.ends.len() - 1
    }

    /// Runs every command against this thread's store.
    pub fn run_here(self) -> Replies {
        SHARD_STORE.with(|slot| {
            let slot = slot.borrow();
            let store = slot.as_ref().expect("a shard serves batches only after install_store");
            let mut store = store.borrow_mut();
            let mut replies = Replies::default();
            let mut args = Args::new();
            let mut first = 0;
            for &end in &self.ends {
                args.set(self.spans[first..end].iter().map(|&(a, b)| &self.data[a..b]));
                store.execute(&args, &mut replies.data);
                replies.ends.push(replies.data.len());
                first = end;
            }
            replies
        })
    }
}

/// The replies to a batch, in order.
#[derive(Default, Debug)]
pub struct Replies {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Replies {
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }
}

/// A place in the output that a remote reply fills.
#[derive(Debug)]
enum Hole {
    /// The reply of command `index` of `shard`'s batch, as is.
    Reply { shard: usize, index: usize },
    /// An integer: `local` plus the integer replies of `parts`.
    Sum { local: i64, parts: Vec<(usize, usize)> },
}

/// Routes one connection's commands: runs the local ones, batches the
/// others, and fills their holes once the replies are back.
pub struct Router {
    shard: Shard,
    outbox: Rc<Outbox>,
    batches: Vec<Batch>,
    /// Holes, at their offsets in the output, in order.
    holes: Vec<(usize, Hole)>,
    remote: usize,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("shard", &self.shard)
            .field("remote", &self.remote)
            .finish()
    }
}

impl Router {
    pub fn new(shard: Shard, outbox: Rc<Outbox>) -> Router {
        let batches = (0..shard.count()).map(|_| Batch::default()).collect();
        Router {
            shard,
            outbox,
            batches,
            holes: Vec::new(),
            remote: 0,
        }
    }

    /// True when the batch should go out before more is parsed.
    pub fn is_full(&self) -> bool {
        self.remote >= MAX_REMOTE_PER_BATCH
    }

    /// True if some replies must come from other shards.
    pub fn has_remote(&self) -> bool {
        self.remote > 0
    }

    fn owner(&self, key: &[u8]) -> usize {
        owner_of(key, self.shard.count())
    }

    fn here(&self) -> usize {
        self.shard.index()
    }

    /// Queues `parts` for `shard`; returns its place in that batch.
    fn send<'a>(&mut self, shard: usize, parts: impl IntoIterator<Item = &'a [u8]>) -> (usize, usize) {
        self.remote += 1;
        (shard, self.batches[shard].push(parts))
    }

    /// Runs or routes one request; its reply goes to `out` now or fills a
    /// hole later.
    pub fn execute(&mut self, store: &mut Store, args: &Args, out: &mut Vec<u8>) -> Next {
        let name = args.get(0);
        let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
        let n = args.len();
        let single_key = ["GET", "SET", "INCR", "DECR", "INCRBY", "DECRBY"];
        if n >= 2 && single_key.iter().any(|c| is(c)) {
            let owner = self.owner(args.get(1));
            if owner == self.here() {
                return store.execute(args, out);
            }
            let (shard, index) = self.send(owner, args.iter());
            self.holes.push((out.len(), Hole::Reply { shard, index }));
        } else if n >= 2 && is("MGET") {
            reply::array_len(out, n - 1);
            for key in (1..n).map(|i| args.get(i)) {
                let owner = self.owner(key);
                if owner == self.here() {
                    store.get_reply(key, out);
                } else {
                    let (shard, index) = self.send(owner, [&b"GET"[..], key]);
                    self.holes.push((out.len(), Hole::Reply { shard, index }));
                }
            }
        } else if n >= 2 && (is("DEL") || is("EXISTS")) {
            let keys = || (1..n).map(|i| args.get(i));
            let here = self.here();
            let mine = keys().filter(|k| self.owner(k) == here);
            let local = if is("DEL") {
                store.delete(mine)
            } else {
                store.count_existing(mine)
            };
            let mut parts = Vec::new();
            for shard in (0..self.shard.count()).filter(|&s| s != here) {
                let theirs: Vec<&[u8]> = keys().filter(|k| self.owner(k) == shard).collect();
                if !theirs.is_empty() {
                    parts.push(self.send(shard, std::iter::once(name).chain(theirs)));
                }
            }
            self.sum(local, parts, out);
        } else if is("DBSIZE") {
            let local = store.live_len() as i64;
            let others: Vec<usize> = (0..self.shard.count()).filter(|&s| s != self.here()).collect();
            let parts = others.into_iter().map(|s| self.send(s, [name])).collect();
            self.sum(local, parts, out);
        } else if is("FLUSHALL") || is("FLUSHDB") {
            let here = self.here();
            for shard in (0..self.shard.count()).filter(|&s| s != here) {
                self.send(shard, [name]); // its "+OK" is not repeated
            }
            return store.execute(args, out);
        } else {
            return store.execute(args, out);
        }
        Next::Continue
    }

    fn sum(&mut self, local: i64, parts: Vec<(usize, usize)>, out: &mut Vec<u8>) {
        if parts.is_empty() {
            reply::integer(out, local);
        } else {
            self.holes.push((out.len(), Hole::Sum { local, parts }));
        }
    }

    /// Posts each owner's batch to the outbox, waits for the replies, and
    /// writes `out` with the holes filled into `whole`. The router is
    /// empty again afterwards.
    pub async fn gather(&mut self, out: &[u8], whole: &mut Vec<u8>) {
        let tickets: Vec<Option<(Rc<Trip>, usize)>> = self
            .batches
            .iter_mut()
            .enumerate()
            .map(|(owner, batch)| {
                (batch.len() > 0).then(|| {
                    let ticket = self.outbox.post(owner, batch);
                    batch.clear();
                    ticket
                })
            })
            .collect();
        for (trip, _) in tickets.iter().flatten() {
            trip.arrived().await;
        }
        let reply = |shard: usize, index: usize| {
            let (trip, first) = tickets[shard].as_ref().expect("posted");
            trip.reply(first + index)
        };
        let mut copied = 0;
        for (at, hole) in self.holes.drain(..) {
            whole.extend_from_slice(&out[copied..at]);
            copied = at;
            match hole {
                Hole::Reply { shard, index } => whole.extend_from_slice(reply(shard, index)),
                Hole::Sum { local, parts } => {
                    let total = parts
                        .iter()
                        .fold(local, |sum, &(s, i)| sum + integer_reply(reply(s, i)));
                    reply::integer(whole, total);
                }
            }
        }
        whole.extend_from_slice(&out[copied..]);
        self.remote = 0;
    }
}

/// The value of a `:n\r\n` reply (0 for anything else).
fn integer_reply(reply: &[u8]) -> i64 {
    reply
        .strip_prefix(b":")
        .and_then(|r| r.strip_suffix(b"\r\n"))
        .and_then(super::protocol::parse_int)
        .unwrap_or(0)
}
