//! One shard of the server: its store, its active-expiry task, and an
//! accept loop that serves each connection in its own task.

use std::cell::RefCell;
use std::rc::Rc;

use evloop::net::TcpListener;
use evloop::shard::Shard;

use super::commands::Store;
use super::connection::{self, Shared};
use super::expiry;
use super::outbox::Outbox;
use super::routing;

/// How a shard serves.
#[derive(Clone, Debug)]
pub struct Options {
    /// The bound on each connection's pending output.
    pub max_output: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_output: connection::MAX_OUTPUT,
        }
    }
}

/// Sets up this shard (its store, serving the other shards' batches, the
/// expiry task) and returns what its connections share. Call on the
/// shard's own loop.
pub fn start_shard(shard: Option<Shard>, options: &Options) -> Rc<Shared> {
    let store = Rc::new(RefCell::new(Store::new()));
    routing::install_store(store.clone());
    let mut shared = Shared::new(store.clone());
    shared.shard = shard.filter(|s| s.count() > 1).map(|s| (s.clone(), Outbox::new(s)));
    shared.max_output = options.max_output;
    let _expiry = evloop::spawn(async move {
        let mut tick = evloop::interval(expiry::TICK);
        loop {
            tick.tick().await;
            store.borrow_mut().expire_some(expiry::BUDGET);
        }
    });
    Rc::new(shared)
}

/// Accepts connections forever, each served in its own task.
pub async fn accept_loop(listener: TcpListener, shared: Rc<Shared>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let _connection = evloop::spawn(async move {
            if let Err(e) = connection::serve(stream, shared).await {
                if e.kind() != std::io::ErrorKind::ConnectionReset {
                    eprintln!("connection: {e}");
                }
            }
        });
    }
}
