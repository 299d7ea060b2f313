//! One client connection: read what is there, answer the complete
//! requests in it, write the replies with one write — and never hold more
//! than a bounded amount of output.
//!
//! Backpressure: answering stops once the pending output reaches
//! `max_output`; it is written (waiting for the peer to read it if its
//! window is full), and only then are the requests still buffered
//! answered. New input is read only when every buffered request has been
//! answered and written. A client that pipelines `GET big` and never reads
//! thus stalls its own connection at `max_output` plus one reply, while
//! the kernel's socket buffers push back on its sending.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use evloop::net::TcpStream;

use super::commands::{Next, Store};
use super::outbox::Outbox;
use super::protocol::{reply, Args, Parser};
use super::routing::Router;

const INITIAL_BUFFER: usize = 16 * 1024;
/// Default bound on one connection's pending output.
pub const MAX_OUTPUT: usize = 256 * 1024;

/// What every connection of a shard shares.
pub struct Shared {
    pub store: Rc<RefCell<Store>>,
    /// `Some` with several shards: routes commands to the keys' owners,
    /// through the shard's outbox.
    pub shard: Option<(evloop::shard::Shard, Rc<Outbox>)>,
    /// Answering stops (and the output is written) at this many bytes.
    pub max_output: usize,
    /// The most output any connection has held at once: what the bound
    /// above is judged by.
    pub output_high_water: Cell<usize>,
}

impl Shared {
    pub fn new(store: Rc<RefCell<Store>>) -> Shared {
        Shared {
            store,
            shard: None,
            max_output: MAX_OUTPUT,
            output_high_water: Cell::new(0),
        }
    }
}

/// Runs a request: on the local store, or through the router.
pub trait Execute {
    fn execute(&mut self, args: &Args, out: &mut Vec<u8>) -> Next;

    /// True when what was answered must go out before more is parsed.
    fn must_flush(&self) -> bool {
        false
    }
}

impl Execute for Store {
    fn execute(&mut self, args: &Args, out: &mut Vec<u8>) -> Next {
        Store::execute(self, args, out)
    }
}

/// The router, with this shard's store for the keys it owns.
struct Routed<'a> {
    router: &'a mut Router,
    store: &'a mut Store,
}

impl Execute for Routed<'_> {
    fn execute(&mut self, args: &Args, out: &mut Vec<u8>) -> Next {
        self.router.execute(self.store, args, out)
    }

    fn must_flush(&self) -> bool {
        self.router.is_full()
    }
}

/// Why [`answer`] stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every complete request was answered: read more.
    NeedInput,
    /// The output reached its bound (or the router's batch is full): write
    /// it, then answer the rest of the input.
    Flush,
    /// QUIT: write the output, then close.
    Close,
}

/// Serves `stream` until the client closes it or sends QUIT.
pub async fn serve(stream: TcpStream, shared: Rc<Shared>) -> io::Result<()> {
    let mut buf = vec![0u8; INITIAL_BUFFER];
    let mut filled = 0;
    let mut out = Vec::with_capacity(INITIAL_BUFFER);
    let mut whole = Vec::new();
    let mut parser = Parser::new();
    let mut args = Args::new();
    let mut router = shared.shard.clone().map(|(shard, outbox)| Router::new(shard, outbox));
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0); // a request larger than the buffer
        }
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        loop {
            let (used, stop) = {
                let mut store = shared.store.borrow_mut();
                let input = &buf[..filled];
                match &mut router {
                    None => answer(&mut parser, input, &mut args, &mut *store, &mut out, shared.max_output),
                    Some(router) => {
                        let mut routed = Routed {
                            router,
                            store: &mut store,
                        };
                        answer(&mut parser, input, &mut args, &mut routed, &mut out, shared.max_output)
                    }
                }
            };
            if used > 0 {
                buf.copy_within(used..filled, 0);
                filled -= used;
            }
            let reply = match &mut router {
                Some(router) if router.has_remote() => {
                    whole.clear();
                    router.gather(&out, &mut whole).await;
                    &whole
                }
                _ => &out,
            };
            if !reply.is_empty() {
                let high = shared.output_high_water.get().max(reply.len());
                shared.output_high_water.set(high);
                stream.write_all(reply).await?;
            }
            out.clear();
            match stop {
                Stop::Close => return Ok(()),
                Stop::NeedInput => break,
                Stop::Flush => {}
            }
        }
        if filled == 0 && buf.len() > INITIAL_BUFFER {
            buf = vec![0u8; INITIAL_BUFFER]; // give a big request's memory back
        }
        if out.capacity() > 4 * shared.max_output {
            out = Vec::with_capacity(INITIAL_BUFFER); // and a big reply's
        }
    }
}

/// Answers the complete requests at the front of `input`, until the
/// output holds `max_output` bytes; returns how many bytes were used and
/// why it stopped.
pub fn answer(
    parser: &mut Parser,
    input: &[u8],
    args: &mut Args,
    exec: &mut impl Execute,
    out: &mut Vec<u8>,
    max_output: usize,
) -> (usize, Stop) {
    let mut pos = 0;
    loop {
        if out.len() >= max_output || exec.must_flush() {
            return (pos, Stop::Flush);
        }
        match parser.parse(&input[pos..], args) {
            Ok(step) => {
                pos += step.used;
                if !step.complete {
                    return (pos, Stop::NeedInput);
                }
                if !args.is_empty() && exec.execute(args, out) == Next::Close {
                    return (pos, Stop::Close);
                }
            }
            Err(e) => {
                pos += e.consumed;
                reply::error(out, &format!("ERR {e}"));
            }
        }
    }
}
