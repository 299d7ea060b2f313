//! A broadcast channel: every value sent reaches every receiver.
//!
//! The channel keeps the last `capacity` values in a ring. Each
//! [`Receiver`] has its own cursor (the sequence number of the next value it
//! will see), so a value stays readable until `capacity` newer ones have
//! been sent, whoever has or has not read it. The sender never waits: a
//! receiver that falls more than `capacity` values behind has the oldest
//! ones skipped and is told how many with [`RecvError::Lagged`].
//!
//! Waiting receivers park on one waiter list; a send (or the last sender
//! going away) wakes them all, and each looks at its own cursor again. A
//! value is taken from the ring only when `recv` returns it, so dropping a
//! waiting `recv` loses nothing.
//!
//! # Examples
//!
//! A chat hub: each subscriber sees what is said after it joined.
//!
//! ```
//! use evloop_primitives::broadcast::{self, RecvError};
//! # futures::executor::block_on(async {
//! let (tx, mut alice) = broadcast::channel(16);
//! tx.send("hello").unwrap();
//! let mut bob = tx.subscribe(); // joins after "hello"
//! assert_eq!(tx.send("world"), Ok(2)); // reached two receivers
//!
//! assert_eq!(alice.recv().await, Ok("hello"));
//! assert_eq!(alice.recv().await, Ok("world"));
//! assert_eq!(bob.recv().await, Ok("world"));
//! drop(tx);
//! assert_eq!(bob.recv().await, Err(RecvError::Closed));
//! # });
//! ```
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::waiter_list::{WaiterKey, WaiterList};

struct Shared<T> {
    /// The last `capacity` values sent; `ring[0]` has sequence number `first`.
    ring: RefCell<VecDeque<T>>,
    capacity: usize,
    first: Cell<u64>,
    senders: Cell<usize>,
    receivers: Cell<usize>,
    /// Receivers waiting for a value newer than their cursor.
    waiting: WaiterList<()>,
}

impl<T> Shared<T> {
    /// The sequence number the next value sent will get.
    fn end(&self) -> u64 {
        self.first.get() + self.ring.borrow().len() as u64
    }
}

impl<T: Clone> Shared<T> {
    /// The value at cursor `*next`, advancing it; `Empty` if the receiver
    /// has seen everything sent so far.
    fn take(&self, next: &mut u64) -> Result<T, TryRecvError> {
        let first = self.first.get();
        if *next < first {
            let missed = first - *next;
            *next = first;
            return Err(TryRecvError::Lagged(missed));
        }
        let ring = self.ring.borrow();
        match ring.get((*next - first) as usize) {
            Some(value) => {
                *next += 1;
                Ok(value.clone())
            }
            None if self.senders.get() == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

/// Creates a broadcast channel that keeps the last `capacity` values for
/// receivers that have not read them yet.
///
/// # Panics
///
/// If `capacity` is 0.
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast::channel: capacity must be > 0 (it is how many values a slow receiver may fall behind)"
    );
    let shared = Rc::new(Shared {
        ring: RefCell::new(VecDeque::with_capacity(capacity.min(1024))),
        capacity,
        first: Cell::new(0),
        senders: Cell::new(1),
        receivers: Cell::new(1),
        waiting: WaiterList::new(),
    });
    let receiver = Receiver {
        shared: shared.clone(),
        next: 0,
    };
    (Sender { shared }, receiver)
}

/// The sending half; clone it for more producers. Sending never waits.
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver alive now and returns how many that
    /// is. With no receiver, the value comes back in [`SendError`] and is not
    /// kept (a later [`subscribe`](Sender::subscribe) will not see it).
    ///
    /// When the ring is full the oldest value is dropped: receivers that had
    /// not read it get [`RecvError::Lagged`] on their next `recv`.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let shared = &*self.shared;
        let receivers = shared.receivers.get();
        if receivers == 0 {
            return Err(SendError(value));
        }
        let mut ring = shared.ring.borrow_mut();
        let evicted = if ring.len() == shared.capacity {
            shared.first.set(shared.first.get() + 1);
            ring.pop_front()
        } else {
            None
        };
        ring.push_back(value);
        drop(ring);
        // The evicted value's destructor runs with no borrow held.
        drop(evicted);
        shared.waiting.notify_all(|| ());
        Ok(receivers)
    }

    /// A new receiver that sees the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let shared = &self.shared;
        shared.receivers.set(shared.receivers.get() + 1);
        Receiver {
            shared: shared.clone(),
            next: shared.end(),
        }
    }

    /// Number of receivers alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.get()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.set(self.shared.senders.get() + 1);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let n = self.shared.senders.get() - 1;
        self.shared.senders.set(n);
        if n == 0 {
            // Waiting receivers find the channel closed.
            self.shared.waiting.notify_all(|| ());
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("capacity", &self.shared.capacity)
            .field("receivers", &self.receiver_count())
            .finish()
    }
}

/// The receiving half: its own cursor into the values sent.
///
/// Make more with [`Sender::subscribe`].
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
    /// Sequence number of the next value this receiver will see.
    next: u64,
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting until one is sent.
    ///
    /// `Err(Lagged(n))` if this receiver fell behind and `n` values were
    /// skipped (the next `recv` returns the oldest value still kept);
    /// `Err(Closed)` once every sender is gone and every value was read.
    /// Cancel-safe: a dropped `recv` takes no value with it.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            key: None,
        }
    }

    /// Receives the next value if one is there already.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.shared.take(&mut self.next)
    }
}

impl<T> Receiver<T> {
    /// Number of values sent that this receiver has not read yet (values
    /// already skipped by lagging count too, until `recv` reports them).
    pub fn len(&self) -> usize {
        (self.shared.end() - self.next) as usize
    }

    /// True if this receiver has read everything sent so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let shared = &self.shared;
        shared.receivers.set(shared.receivers.get() - 1);
        if shared.receivers.get() == 0 {
            // Nobody can read them any more.
            let values = std::mem::take(&mut *shared.ring.borrow_mut());
            shared.first.set(shared.first.get() + values.len() as u64);
            drop(values);
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("unread", &self.len())
            .finish()
    }
}

/// The future returned by [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    key: Option<WaiterKey>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &*this.receiver.shared;
        if this.key.is_some() && shared.waiting.poll_notified(&mut this.key, cx.waker()).is_pending() {
            return Poll::Pending;
        }
        match shared.take(&mut this.receiver.next) {
            Ok(value) => Poll::Ready(Ok(value)),
            Err(TryRecvError::Lagged(n)) => Poll::Ready(Err(RecvError::Lagged(n))),
            Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError::Closed)),
            Err(TryRecvError::Empty) => {
                // Any send, or the last sender leaving, notifies every waiter.
                this.key = Some(shared.waiting.push(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        // A notification carries no unit to pass on: the value stays in the
        // ring for this receiver's next `recv`.
        self.receiver.shared.waiting.remove(&mut self.key);
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Recv")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// There is no receiver; the value comes back inside.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast channel has no receivers")
    }
}

impl<T> Error for SendError<T> {}

/// Why [`Receiver::recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvError {
    /// Every sender is gone and this receiver has read every value.
    Closed,
    /// This receiver fell behind: that many of the oldest values were skipped.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("broadcast channel closed"),
            RecvError::Lagged(n) => write!(f, "receiver lagged behind: {n} value(s) skipped"),
        }
    }
}

impl Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing new right now.
    Empty,
    /// Every sender is gone and this receiver has read every value.
    Closed,
    /// This receiver fell behind: that many of the oldest values were skipped.
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("broadcast channel is empty"),
            TryRecvError::Closed => f.write_str("broadcast channel closed"),
            TryRecvError::Lagged(n) => write!(f, "receiver lagged behind: {n} value(s) skipped"),
        }
    }
}

impl Error for TryRecvError {}
