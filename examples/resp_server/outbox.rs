//! The shard's outbox: what its connections send to one owner during a
//! tick leaves as one message.
//!
//! A hop costs a message on the owner's remote queue, a wakeup of the
//! owner's thread if it sleeps, and the same back — microseconds, most of
//! them in the kernel. Many connections of a shard have requests for the
//! same owner in the same tick (every connection that was readable), so
//! the outbox collects them: the first connection to post for an owner
//! opens a *trip* and schedules its departure with `call_soon` (it runs
//! on the next tick, once every connection ready in this one has posted);
//! later connections append to the open trip. The owner runs the whole
//! trip against its store in one go, and each connection takes its replies
//! from the trip's answer.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use evloop::shard::Shard;
use evloop::sync::Event;

use super::routing::{Batch, Replies};

/// One message to one owner: the commands of every connection that
/// posted before it left, and, once back, their replies.
#[derive(Default)]
pub struct Trip {
    batch: RefCell<Batch>,
    replies: OnceCell<Replies>,
    back: Event,
}

impl Trip {
    /// Waits until the replies are back.
    pub async fn arrived(&self) {
        self.back.wait().await;
    }

    /// The reply to command `i` of the trip (after [`arrived`](Self::arrived)).
    pub fn reply(&self, i: usize) -> &[u8] {
        self.replies.get().expect("the trip has arrived").get(i)
    }
}

/// Per shard: the open trip to each other shard.
pub struct Outbox {
    shard: Shard,
    open: RefCell<Vec<Option<Rc<Trip>>>>,
}

impl Outbox {
    pub fn new(shard: Shard) -> Rc<Outbox> {
        let open = RefCell::new((0..shard.count()).map(|_| None).collect());
        Rc::new(Outbox { shard, open })
    }

    /// Adds `batch` to the trip to `owner`; returns the trip and where the
    /// batch's first command is in it.
    pub fn post(self: &Rc<Self>, owner: usize, batch: &Batch) -> (Rc<Trip>, usize) {
        let trip = {
            let mut open = self.open.borrow_mut();
            open[owner]
                .get_or_insert_with(|| {
                    let outbox = self.clone();
                    evloop::call_soon(move || outbox.depart(owner));
                    Rc::default()
                })
                .clone()
        };
        let first = trip.batch.borrow_mut().append(batch);
        (trip, first)
    }

    /// Sends the open trip to `owner`; a task brings the replies back.
    fn depart(&self, owner: usize) {
        let Some(trip) = self.open.borrow_mut()[owner].take() else {
            return;
        };
        let batch = std::mem::take(&mut *trip.batch.borrow_mut());
        let there = self
            .shard
            .handle(owner)
            .spawn_with(move || std::future::ready(batch.run_here()));
        let _back = evloop::spawn(async move {
            // A shard's loop closes only when the whole server stops.
            let replies = there.await.expect("the owner shard's loop has closed");
            let _ = trip.replies.set(replies);
            trip.back.set();
        });
    }
}
