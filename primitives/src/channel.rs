//! A multi-producer, single-consumer channel, bounded or unbounded.
//!
//! [`Sender`] is `Clone`; [`Receiver`] is unique. The channel closes when
//! every sender is dropped (the receiver drains what is buffered, then
//! `recv` returns `None`) or when the receiver is dropped or closed (sends
//! fail and hand the value back). Waiting senders of a bounded channel are
//! served FIFO, and a free slot reserved for a sender that is cancelled
//! passes on to the next one. [`Receiver`] implements
//! [`futures_core::Stream`].
//!
//! # Examples
//!
//! ```
//! use evloop_primitives::channel;
//! # futures::executor::block_on(async {
//! let (tx, mut rx) = channel::bounded(8);
//! let tx2 = tx.clone();
//! tx.send(1).await.unwrap();
//! tx2.send(2).await.unwrap();
//! drop((tx, tx2));
//! assert_eq!(rx.recv().await, Some(1));
//! assert_eq!(rx.recv().await, Some(2));
//! assert_eq!(rx.recv().await, None); // all senders gone
//! # });
//! ```
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::waiter_list::{WaiterKey, WaiterList};

/// What a waiting sender is handed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// A free slot is reserved for you.
    Slot,
    /// The receiver is gone.
    Closed,
}

struct Chan<T> {
    items: RefCell<VecDeque<T>>,
    /// `usize::MAX` when unbounded.
    capacity: usize,
    reserved_slots: Cell<usize>,
    senders: Cell<usize>,
    closed: Cell<bool>,
    rx_waker: Cell<Option<Waker>>,
    send_waiters: WaiterList<Grant>,
}

impl<T> Chan<T> {
    fn new(capacity: usize) -> Rc<Self> {
        Rc::new(Chan {
            items: RefCell::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity,
            reserved_slots: Cell::new(0),
            senders: Cell::new(1),
            closed: Cell::new(false),
            rx_waker: Cell::new(None),
            send_waiters: WaiterList::new(),
        })
    }

    fn wake_receiver(&self) {
        if let Some(waker) = self.rx_waker.take() {
            waker.wake();
        }
    }

    /// Stores an item that has a slot and wakes the receiver.
    fn push(&self, item: T) {
        self.items.borrow_mut().push_back(item);
        self.wake_receiver();
    }

    fn has_free_slot(&self, len: usize) -> bool {
        len + self.reserved_slots.get() < self.capacity
    }

    /// A slot was freed: reserve it for the oldest waiting sender.
    fn offer_slot(&self, len: usize) {
        if self.has_free_slot(len) {
            if let Ok(waker) = self.send_waiters.notify_one(Grant::Slot) {
                self.reserved_slots.set(self.reserved_slots.get() + 1);
                waker.wake();
            }
        }
    }

    /// Several slots were freed: reserve each for a waiting sender, oldest
    /// first, while there are both.
    fn offer_slots(&self, len: usize) {
        while self.has_free_slot(len) {
            match self.send_waiters.notify_one(Grant::Slot) {
                Ok(waker) => {
                    self.reserved_slots.set(self.reserved_slots.get() + 1);
                    waker.wake();
                }
                Err(_) => return,
            }
        }
    }

    /// Moves up to `limit` buffered values into `buf` (waits for at least
    /// one); `Ready(0)` once closed and drained.
    fn poll_recv_many(&self, cx: &mut Context<'_>, buf: &mut Vec<T>, limit: usize) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let mut items = self.items.borrow_mut();
        if !items.is_empty() {
            let n = limit.min(items.len());
            buf.extend(items.drain(..n));
            let len = items.len();
            drop(items);
            self.offer_slots(len);
            return Poll::Ready(n);
        }
        drop(items);
        match self.poll_recv(cx) {
            Poll::Ready(Some(_)) => unreachable!("the buffer was empty and nothing ran since"),
            Poll::Ready(None) => Poll::Ready(0),
            Poll::Pending => Poll::Pending,
        }
    }

    fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        if self.closed.get() {
            return Err(TrySendError::Closed(item));
        }
        let mut items = self.items.borrow_mut();
        if !self.has_free_slot(items.len()) {
            return Err(TrySendError::Full(item));
        }
        items.push_back(item);
        drop(items);
        self.wake_receiver();
        Ok(())
    }

    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut items = self.items.borrow_mut();
        if let Some(item) = items.pop_front() {
            let len = items.len();
            drop(items);
            if !self.send_waiters.is_empty() {
                self.offer_slot(len);
            }
            return Poll::Ready(Some(item));
        }
        drop(items);
        if self.senders.get() == 0 || self.closed.get() {
            return Poll::Ready(None);
        }
        match self.rx_waker.take() {
            Some(w) if w.will_wake(cx.waker()) => self.rx_waker.set(Some(w)),
            _ => self.rx_waker.set(Some(cx.waker().clone())),
        }
        Poll::Pending
    }

    fn close(&self) {
        if !self.closed.replace(true) {
            self.send_waiters.notify_all(|| Grant::Closed);
        }
    }
}

/// Creates a channel buffering at most `capacity` values; `send` waits
/// while it is full.
///
/// # Panics
///
/// If `capacity` is 0.
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "channel::bounded: capacity must be > 0");
    let chan = Chan::new(capacity);
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// Creates a channel with no bound: `send` never waits.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let chan = Chan::new(usize::MAX);
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending half; clone it for more producers.
pub struct Sender<T> {
    chan: Rc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while a bounded channel is full (FIFO among
    /// waiting senders). Fails with the value in [`SendError`] if the
    /// receiver is dropped or closed. Cancel-safe: dropping the future drops
    /// the value (it was not sent) and passes on a slot reserved for it.
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            sender: self,
            value: Some(value),
            key: None,
        }
    }

    /// Sends `value` if there is room right now (a slot reserved for a woken
    /// sender is not room).
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value)
    }

    /// True if the receiver was dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.closed.get()
    }

    /// Number of buffered values.
    pub fn len(&self) -> usize {
        self.chan.items.borrow().len()
    }

    /// True if nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bound, or `None` for an unbounded channel.
    pub fn capacity(&self) -> Option<usize> {
        (self.chan.capacity != usize::MAX).then_some(self.chan.capacity)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.senders.set(self.chan.senders.get() + 1);
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let n = self.chan.senders.get() - 1;
        self.chan.senders.set(n);
        if n == 0 {
            self.chan.wake_receiver();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("channel::Sender")
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future returned by [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct Send<'a, T> {
    sender: &'a Sender<T>,
    value: Option<T>,
    key: Option<WaiterKey>,
}

// The value is moved out, never pinned.
impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let chan = &*this.sender.chan;
        let value = this.value.take().expect("Send polled after completion");
        if this.key.is_none() {
            return match chan.try_send(value) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TrySendError::Closed(value)) => Poll::Ready(Err(SendError(value))),
                Err(TrySendError::Full(value)) => {
                    this.value = Some(value);
                    this.key = Some(chan.send_waiters.push(cx.waker().clone()));
                    Poll::Pending
                }
            };
        }
        match chan.send_waiters.poll_notified(&mut this.key, cx.waker()) {
            Poll::Pending => {
                this.value = Some(value);
                Poll::Pending
            }
            Poll::Ready(Grant::Slot) => {
                chan.reserved_slots.set(chan.reserved_slots.get() - 1);
                if chan.closed.get() {
                    return Poll::Ready(Err(SendError(value)));
                }
                chan.push(value);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Grant::Closed) => Poll::Ready(Err(SendError(value))),
        }
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        let chan = &*self.sender.chan;
        if chan.send_waiters.remove(&mut self.key) == Some(Grant::Slot) {
            chan.reserved_slots.set(chan.reserved_slots.get() - 1);
            let len = chan.items.borrow().len();
            chan.offer_slot(len);
        }
    }
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("channel::Send")
            .field("queued", &self.key.is_some())
            .finish()
    }
}

/// The receiving half. Implements [`futures_core::Stream`].
pub struct Receiver<T> {
    chan: Rc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Receives the next value; `None` once the channel is closed and
    /// drained. Cancel-safe: dropping the future loses nothing.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { receiver: self }
    }

    /// Appends to `buf` up to `limit` values that are buffered, waiting
    /// until there is at least one, and returns how many it appended: one
    /// wake-up and one write for a burst of values instead of one each.
    ///
    /// Returns 0 only when the channel is closed and drained, or when
    /// `limit` is 0. Cancel-safe: values are moved into `buf` only when the
    /// future completes.
    ///
    /// ```
    /// use evloop_primitives::channel;
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = channel::unbounded();
    /// for line in ["a\n", "b\n", "c\n"] {
    ///     tx.try_send(line).unwrap();
    /// }
    /// let mut batch = Vec::new();
    /// assert_eq!(rx.recv_many(&mut batch, 16).await, 3);
    /// assert_eq!(batch.concat(), "a\nb\nc\n"); // one write instead of three
    /// drop(tx);
    /// assert_eq!(rx.recv_many(&mut batch, 16).await, 0); // closed
    /// # });
    /// ```
    pub fn recv_many<'a>(&'a mut self, buf: &'a mut Vec<T>, limit: usize) -> RecvMany<'a, T> {
        RecvMany {
            receiver: self,
            buf,
            limit,
        }
    }

    /// Polls for the next value (the body of [`recv`](Receiver::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Takes a buffered value, if any.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let chan = &*self.chan;
        let mut items = chan.items.borrow_mut();
        match items.pop_front() {
            Some(item) => {
                let len = items.len();
                drop(items);
                chan.offer_slot(len);
                Ok(item)
            }
            None if chan.senders.get() == 0 || chan.closed.get() => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Closes the channel: sends fail from now on (waiting senders get their
    /// values back), values already buffered can still be received.
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Number of buffered values.
    pub fn len(&self) -> usize {
        self.chan.items.borrow().len()
    }

    /// True if nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.close();
        // Drop buffered values with no borrow held.
        let items = std::mem::take(&mut *self.chan.items.borrow_mut());
        drop(items);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("channel::Receiver").field("len", &self.len()).finish()
    }
}

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }
}

/// The future returned by [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().receiver.chan.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("channel::Recv").finish_non_exhaustive()
    }
}

/// The future returned by [`Receiver::recv_many`].
#[must_use = "futures do nothing unless awaited"]
pub struct RecvMany<'a, T> {
    receiver: &'a mut Receiver<T>,
    buf: &'a mut Vec<T>,
    limit: usize,
}

impl<T> Future for RecvMany<'_, T> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        this.receiver.chan.poll_recv_many(cx, this.buf, this.limit)
    }
}

impl<T> fmt::Debug for RecvMany<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("channel::RecvMany").field("limit", &self.limit).finish()
    }
}

/// The receiver is gone; the value comes back inside.
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
        f.write_str("channel closed")
    }
}

impl<T> Error for SendError<T> {}

/// Why [`Sender::try_send`] refused a value; the value comes back inside.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrySendError<T> {
    /// The channel is full.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("channel is full"),
            TrySendError::Closed(_) => f.write_str("channel closed"),
        }
    }
}

impl<T> Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing buffered right now.
    Empty,
    /// Nothing buffered and nothing more will come.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel is empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
        }
    }
}

impl Error for TryRecvError {}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;

    #[test]
    fn closes_when_senders_drop_and_when_receiver_drops() {
        let (tx, mut rx) = unbounded();
        tx.try_send(1).unwrap();
        let tx2 = tx.clone();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        drop(tx2);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

        let (tx, rx) = bounded(1);
        tx.try_send(1).unwrap();
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        drop(rx);
        assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    }

    #[test]
    fn cancellation_stress() {
        for seed in 0..20 {
            let (tx, rx) = bounded::<u64>(3);
            let sent = Rc::new(std::cell::Cell::new(0u64));
            let got = Rc::new(std::cell::Cell::new(0u64));
            let mut sim = Sim::new(seed);
            let mut ids = Vec::new();
            for p in 0..50u64 {
                let (tx, sent) = (tx.clone(), sent.clone());
                ids.push(sim.spawn(async move {
                    for i in 0..20 {
                        let v = p * 100 + i + 1;
                        tx.send(v).await.unwrap();
                        sent.set(sent.get() + v);
                    }
                }));
            }
            drop(tx);
            let rx = Rc::new(RefCell::new(rx));
            {
                let (rx, got) = (rx.clone(), got.clone());
                sim.spawn(async move {
                    loop {
                        let v = std::future::poll_fn(|cx| rx.borrow_mut().poll_recv(cx)).await;
                        match v {
                            Some(v) => got.set(got.get() + v),
                            None => break,
                        }
                        yields(1).await;
                    }
                });
            }
            sim.run_with_cancellation(3, &ids);
            assert_eq!(sim.alive(), 0, "seed {seed}: receiver must see the close");
            let left: u64 = rx.borrow().chan.items.borrow().iter().sum();
            assert_eq!(left, 0);
            assert_eq!(sent.get(), got.get(), "seed {seed}");
            assert_eq!(rx.borrow().chan.reserved_slots.get(), 0);
        }
    }
}
