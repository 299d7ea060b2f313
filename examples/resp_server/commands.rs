//! The commands: a string key space with PING, ECHO, SET, GET, MGET, DEL,
//! INCR and the few others clients send when they connect.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

use super::expiry::{self, ExpiringKeys};
use super::protocol::{parse_int, reply, Args};

/// What the connection does after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// QUIT: send the replies, then close.
    Close,
}

struct Entry {
    value: Vec<u8>,
    expires: Option<Instant>,
    /// With `expires`: the key's position in `Store::expiring`.
    expiring_at: usize,
}

impl Entry {
    fn is_live(&self) -> bool {
        self.expires.is_none_or(|at| Instant::now() < at)
    }
}

/// A fast, unkeyed hash (multiply-rotate over 8-byte words, as in rustc's
/// FxHash). std's SipHash took 6% of the server's time under
/// `redis-benchmark -P 16`. Unkeyed means a client that picks colliding
/// keys can slow the map down: a server facing untrusted clients would keep
/// std's `RandomState`.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // A multiply carries a word's high bytes only into the product's
        // high bits, and the map picks buckets by the low bits: keys that
        // differ only at their end (`key:000000012345`, what
        // `redis-benchmark -r` sends) would share a handful of buckets.
        // Fold the high half down (a murmur3-style finish) so every
        // input bit reaches the low bits.
        let h = self.0;
        let h = (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^ (h >> 29)
    }
}

/// The key space of one loop (one shard), shared by its connections.
#[derive(Default)]
pub struct Store {
    map: HashMap<Vec<u8>, Entry, BuildHasherDefault<FastHasher>>,
    /// The keys that have a time to live, for active expiry; lookups skip
    /// the clock while there are none.
    expiring: ExpiringKeys,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    fn get(&mut self, key: &[u8]) -> Option<&Entry> {
        if !self.expiring.is_empty() && self.map.get(key).is_some_and(|e| !e.is_live()) {
            self.remove(key);
        }
        self.map.get(key)
    }

    fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let entry = self.map.remove(key)?;
        if entry.expires.is_some() {
            self.forget_expiring(entry.expiring_at);
        }
        Some(entry)
    }

    /// Drops position `at` of the expiring keys, telling the key that
    /// moves into it.
    fn forget_expiring(&mut self, at: usize) {
        if let Some(moved) = self.expiring.swap_remove(at) {
            if let Some(entry) = self.map.get_mut(moved) {
                entry.expiring_at = at;
            }
        }
    }

    fn insert(&mut self, key: &[u8], value: Vec<u8>, expires: Option<Instant>) {
        // Reuse the key's allocation when it exists.
        let Some(entry) = self.map.get_mut(key) else {
            let expiring_at = if expires.is_some() { self.expiring.push(key) } else { 0 };
            let entry = Entry {
                value,
                expires,
                expiring_at,
            };
            self.map.insert(key.to_vec(), entry);
            return;
        };
        let had_ttl = entry.expires.is_some();
        entry.value = value;
        entry.expires = expires;
        match (had_ttl, expires.is_some()) {
            (false, true) => {
                let at = self.expiring.push(key);
                self.map.get_mut(key).expect("just updated").expiring_at = at;
            }
            (true, false) => {
                let at = entry.expiring_at;
                self.forget_expiring(at);
            }
            _ => {}
        }
    }

    /// One tick of active expiry: samples keys with a time to live and
    /// deletes the expired ones, for at most `budget`; returns how many it
    /// deleted.
    pub fn expire_some(&mut self, budget: Duration) -> usize {
        let start = Instant::now();
        let mut deleted = 0;
        while !self.expiring.is_empty() {
            let mut expired = 0;
            for _ in 0..expiry::SAMPLE {
                if self.expiring.is_empty() {
                    break;
                }
                let at = self.expiring.random_position();
                let key = self.expiring.get(at);
                if self.map.get(key).is_some_and(|e| e.expires.is_some_and(|t| t <= start)) {
                    let key = key.to_vec();
                    self.remove(&key);
                    expired += 1;
                }
            }
            deleted += expired;
            if !expiry::worth_another_round(expired) || expiry::out_of_time(start, budget) {
                break;
            }
        }
        deleted
    }

    /// How many live keys there are. Exact: expired keys that active
    /// expiry has not reached yet are deleted first (work proportional to
    /// the number of keys with a time to live; DBSIZE is an admin command).
    pub fn live_len(&mut self) -> usize {
        let now = Instant::now();
        let mut at = 0;
        while at < self.expiring.len() {
            let key = self.expiring.get(at);
            if self.map.get(key).is_some_and(|e| e.expires.is_some_and(|t| t <= now)) {
                let key = key.to_vec();
                self.remove(&key); // the last key moves into `at`: look at it next
            } else {
                at += 1;
            }
        }
        self.map.len()
    }

    /// The map's size, expired-but-not-yet-deleted keys included (what
    /// memory holds).
    #[allow(dead_code)] // tests/net_resp.rs watches active expiry with it
    pub fn stored_len(&self) -> usize {
        self.map.len()
    }

    /// GET's reply for `key`.
    pub fn get_reply(&mut self, key: &[u8], out: &mut Vec<u8>) {
        match self.get(key) {
            Some(entry) => reply::bulk(out, &entry.value),
            None => reply::null(out),
        }
    }

    /// How many of `keys` DEL deletes.
    pub fn delete(&mut self, keys: impl Iterator<Item = impl AsRef<[u8]>>) -> i64 {
        keys.filter(|key| self.remove(key.as_ref()).is_some_and(|e| e.is_live()))
            .count() as i64
    }

    /// How many of `keys` exist (a key named twice counts twice).
    pub fn count_existing(&mut self, keys: impl Iterator<Item = impl AsRef<[u8]>>) -> i64 {
        keys.filter(|key| self.get(key.as_ref()).is_some()).count() as i64
    }

    pub fn flush(&mut self) {
        self.map.clear();
        self.expiring.clear();
    }

    /// Runs one request and appends its reply to `out`.
    pub fn execute(&mut self, args: &Args, out: &mut Vec<u8>) -> Next {
        let name = args.get(0);
        let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
        let n = args.len();
        let arity_error = |out: &mut Vec<u8>| {
            let name = String::from_utf8_lossy(name).to_lowercase();
            reply::error(out, &format!("ERR wrong number of arguments for '{name}' command"));
        };
        if is("PING") {
            match n {
                1 => reply::simple(out, "PONG"),
                2 => reply::bulk(out, args.get(1)),
                _ => arity_error(out),
            }
        } else if is("ECHO") {
            if n != 2 {
                arity_error(out);
            } else {
                reply::bulk(out, args.get(1));
            }
        } else if is("GET") {
            if n != 2 {
                arity_error(out);
            } else {
                self.get_reply(args.get(1), out);
            }
        } else if is("MGET") {
            if n < 2 {
                arity_error(out);
            } else {
                reply::array_len(out, n - 1);
                for i in 1..n {
                    self.get_reply(args.get(i), out);
                }
            }
        } else if is("SET") {
            if n < 3 {
                arity_error(out);
            } else {
                self.set(args, out);
            }
        } else if is("DEL") {
            if n < 2 {
                arity_error(out);
            } else {
                let deleted = self.delete((1..n).map(|i| args.get(i)));
                reply::integer(out, deleted);
            }
        } else if is("EXISTS") {
            if n < 2 {
                arity_error(out);
            } else {
                let found = self.count_existing((1..n).map(|i| args.get(i)));
                reply::integer(out, found);
            }
        } else if is("INCR") || is("DECR") {
            if n != 2 {
                arity_error(out);
            } else {
                self.add(args.get(1), if is("INCR") { 1 } else { -1 }, out);
            }
        } else if is("INCRBY") || is("DECRBY") {
            match (n, parse_int(args.get(2.min(n - 1)))) {
                (3, Some(by)) => self.add(args.get(1), if is("INCRBY") { by } else { by.wrapping_neg() }, out),
                (3, None) => reply::error(out, "ERR value is not an integer or out of range"),
                _ => arity_error(out),
            }
        } else if is("DBSIZE") {
            reply::integer(out, self.live_len() as i64);
        } else if is("FLUSHALL") || is("FLUSHDB") {
            self.flush();
            reply::simple(out, "OK");
        } else if is("SELECT") || is("CLIENT") {
            reply::simple(out, "OK");
        } else if is("CONFIG") || is("COMMAND") {
            // redis-benchmark asks for CONFIG GET save/appendonly; redis-cli
            // for COMMAND DOCS. Nothing to tell either.
            reply::array_len(out, 0);
        } else if is("QUIT") {
            reply::simple(out, "OK");
            return Next::Close;
        } else {
            let name = String::from_utf8_lossy(&name[..name.len().min(128)]);
            reply::error(out, &format!("ERR unknown command '{name}'"));
        }
        Next::Continue
    }

    /// SET key value [NX | XX] [EX seconds | PX milliseconds]
    fn set(&mut self, args: &Args, out: &mut Vec<u8>) {
        let (mut nx, mut xx, mut ttl) = (false, false, None);
        let mut i = 3;
        while i < args.len() {
            let opt = args.get(i);
            if opt.eq_ignore_ascii_case(b"NX") {
                nx = true;
            } else if opt.eq_ignore_ascii_case(b"XX") {
                xx = true;
            } else if (opt.eq_ignore_ascii_case(b"EX") || opt.eq_ignore_ascii_case(b"PX")) && i + 1 < args.len() {
                let Some(n) = parse_int(args.get(i + 1)).filter(|&n| n > 0) else {
                    reply::error(out, "ERR invalid expire time in 'set' command");
                    return;
                };
                let unit = if opt.eq_ignore_ascii_case(b"EX") { 1000 } else { 1 };
                ttl = Some(Duration::from_millis((n as u64).saturating_mul(unit)));
                i += 1;
            } else {
                reply::error(out, "ERR syntax error");
                return;
            }
            i += 1;
        }
        if nx && xx {
            reply::error(out, "ERR syntax error");
            return;
        }
        let exists = self.get(args.get(1)).is_some();
        if (nx && exists) || (xx && !exists) {
            reply::null(out);
            return;
        }
        let expires = ttl.map(|d| Instant::now() + d);
        self.insert(args.get(1), args.get(2).to_vec(), expires);
        reply::simple(out, "OK");
    }

    fn add(&mut self, key: &[u8], by: i64, out: &mut Vec<u8>) {
        let current = match self.get(key) {
            None => 0,
            Some(entry) => match std::str::from_utf8(&entry.value)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
            {
                Some(n) => n,
                None => {
                    reply::error(out, "ERR value is not an integer or out of range");
                    return;
                }
            },
        };
        let Some(next) = current.checked_add(by) else {
            reply::error(out, "ERR increment or decrement would overflow");
            return;
        };
        let expires = self.map.get(key).and_then(|e| e.expires);
        let value = next.to_string().into_bytes();
        self.insert(key, value, expires);
        reply::integer(out, next);
    }
}
