//! A single-value channel: one [`Sender`] sends one value to one
//! [`Receiver`], which is a future.
//!
//! # Examples
//!
//! ```
//! use evloop_primitives::oneshot;
//! # futures::executor::block_on(async {
//! let (tx, rx) = oneshot::channel();
//! tx.send("done").unwrap();
//! assert_eq!(rx.await, Ok("done"));
//!
//! let (tx, rx) = oneshot::channel::<u8>();
//! drop(tx); // dropped without sending
//! assert_eq!(rx.await, Err(oneshot::RecvError));
//! # });
//! ```
use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Inner<T> {
    value: Cell<Option<T>>,
    tx_alive: Cell<bool>,
    rx_alive: Cell<bool>,
    rx_waker: Cell<Option<Waker>>,
}

/// Creates a connected sender/receiver pair.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Rc::new(Inner {
        value: Cell::new(None),
        tx_alive: Cell::new(true),
        rx_alive: Cell::new(true),
        rx_waker: Cell::new(None),
    });
    (Sender { inner: inner.clone() }, Receiver { inner })
}

/// Sends the value; see [`channel`].
pub struct Sender<T> {
    inner: Rc<Inner<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` and wakes the receiver. Fails, handing the value back,
    /// if the receiver was dropped or closed.
    pub fn send(self, value: T) -> Result<(), T> {
        if !self.inner.rx_alive.get() {
            return Err(value);
        }
        self.inner.value.set(Some(value));
        Ok(()) // dropping `self` wakes the receiver
    }

    /// True if the receiver was dropped or closed: a send would fail.
    pub fn is_closed(&self) -> bool {
        !self.inner.rx_alive.get()
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.inner.tx_alive.set(false);
        if let Some(waker) = self.inner.rx_waker.take() {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Receives the value; `.await` it. See [`channel`].
///
/// Resolves to `Err(RecvError)` if the sender is dropped without sending.
#[must_use = "futures do nothing unless awaited"]
pub struct Receiver<T> {
    inner: Rc<Inner<T>>,
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.inner.value.take() {
            Some(value) => Ok(value),
            None if self.inner.tx_alive.get() => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Closed),
        }
    }

    /// Refuses future sends; a value already sent can still be received.
    pub fn close(&mut self) {
        self.inner.rx_alive.set(false);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let inner = &*self.inner;
        if let Some(value) = inner.value.take() {
            return Poll::Ready(Ok(value));
        }
        if !inner.tx_alive.get() {
            return Poll::Ready(Err(RecvError));
        }
        match inner.rx_waker.take() {
            Some(w) if w.will_wake(cx.waker()) => inner.rx_waker.set(Some(w)),
            _ => inner.rx_waker.set(Some(cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.inner.rx_alive.set(false);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

/// The sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot sender dropped without sending")
    }
}

impl Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing sent yet.
    Empty,
    /// The sender was dropped without sending (or the value was taken).
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no value sent yet"),
            TryRecvError::Closed => f.write_str("oneshot sender dropped without sending"),
        }
    }
}

impl Error for TryRecvError {}

#[cfg(test)]
mod tests {
    use super::*;
    use evloop_test_support::*;

    #[test]
    fn send_wakes_receiver_and_drop_reports_error() {
        let (tx, mut rx) = channel::<u32>();
        let (w, count) = CountingWaker::pair();
        let mut cx = Context::from_waker(&w);
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(7).unwrap();
        assert_eq!(count.get(), 1);
        assert_eq!(Pin::new(&mut rx).poll(&mut cx), Poll::Ready(Ok(7)));

        let (tx, rx) = channel::<String>();
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send("x".into()), Err("x".to_string()));

        let (tx, mut rx) = channel::<u8>();
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        drop(tx);
        assert_eq!(count.get(), 2);
        assert_eq!(Pin::new(&mut rx).poll(&mut cx), Poll::Ready(Err(RecvError)));
    }
}
