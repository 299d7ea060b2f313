//! The queue engine shared by `Queue`, `LifoQueue` and `PriorityQueue`.
//!
//! Waiting getters and putters are served FIFO through reservations:
//!
//! * a `put` that finds getters waiting stores the item and *reserves* it for
//!   the oldest getter (`reserved_items`), which takes it when it runs;
//! * a `get` on a full bounded queue frees a slot and *reserves* it for the
//!   oldest waiting putter (`reserved_slots`).
//!
//! Reserved items cannot be taken by `get_nowait`, reserved slots cannot be
//! filled by `put_nowait`, so newcomers never overtake waiters. A waiter
//! cancelled after it got a reservation hands it to the next waiter (or back
//! to the queue). Invariants: unreserved items exist only if no getter
//! waits; unreserved free slots exist only if no putter waits.
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::{GetError, PutError, QueueShutDown, TaskDoneError};
use super::store::Store;
use crate::waiter_list::{WaiterKey, WaiterList};

/// What a waiting getter or putter is handed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// An item (getter) or a free slot (putter) is reserved for you.
    Reserved,
    /// The queue was shut down.
    ShutDown,
}

pub(crate) struct QueueCore<T, S> {
    items: RefCell<S>,
    maxsize: usize,
    reserved_items: Cell<usize>,
    reserved_slots: Cell<usize>,
    unfinished: Cell<usize>,
    shutdown: Cell<bool>,
    getters: WaiterList<Grant>,
    putters: WaiterList<Grant>,
    joiners: WaiterList<()>,
    _items: PhantomData<T>,
}

impl<T, S: Store<T>> QueueCore<T, S> {
    pub(crate) fn new(maxsize: usize) -> Self {
        QueueCore {
            items: RefCell::new(S::with_capacity(maxsize.min(1024))),
            maxsize,
            reserved_items: Cell::new(0),
            reserved_slots: Cell::new(0),
            unfinished: Cell::new(0),
            shutdown: Cell::new(false),
            getters: WaiterList::new(),
            putters: WaiterList::new(),
            joiners: WaiterList::new(),
            _items: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.borrow().len()
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(crate) fn is_full(&self) -> bool {
        self.maxsize > 0 && self.len() >= self.maxsize
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.get()
    }

    pub(crate) fn unfinished_tasks(&self) -> usize {
        self.unfinished.get()
    }

    fn has_free_slot(&self) -> bool {
        self.maxsize == 0 || self.len() + self.reserved_slots.get() < self.maxsize
    }

    /// Stores an item that has a slot, then offers it to the oldest getter.
    fn push_item(&self, item: T) {
        self.items.borrow_mut().push(item);
        self.unfinished.set(self.unfinished.get() + 1);
        self.offer_item();
    }

    /// One more unreserved item exists: reserve it for the oldest getter.
    fn offer_item(&self) {
        if let Ok(waker) = self.getters.notify_one(Grant::Reserved) {
            self.reserved_items.set(self.reserved_items.get() + 1);
            waker.wake();
        }
    }

    /// Takes the next item, then offers the freed slot to the oldest putter.
    fn take_item(&self) -> T {
        let item = self
            .items
            .borrow_mut()
            .pop()
            .expect("queue accounting: no item to take");
        self.offer_slot();
        item
    }

    fn offer_slot(&self) {
        if self.maxsize > 0 && self.has_free_slot() {
            if let Ok(waker) = self.putters.notify_one(Grant::Reserved) {
                self.reserved_slots.set(self.reserved_slots.get() + 1);
                waker.wake();
            }
        }
    }

    pub(crate) fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        if self.shutdown.get() {
            Err(PutError::ShutDown(item))
        } else if !self.has_free_slot() {
            Err(PutError::Full(item))
        } else {
            self.push_item(item);
            Ok(())
        }
    }

    pub(crate) fn get_nowait(&self) -> Result<T, GetError> {
        if self.len() > self.reserved_items.get() {
            Ok(self.take_item())
        } else if self.shutdown.get() {
            Err(GetError::ShutDown)
        } else {
            Err(GetError::Empty)
        }
    }

    pub(crate) fn put(&self, item: T) -> Put<'_, T, S> {
        Put {
            queue: self,
            item: Some(item),
            key: None,
        }
    }

    pub(crate) fn get(&self) -> Get<'_, T, S> {
        Get { queue: self, key: None }
    }

    pub(crate) fn join(&self) -> Join<'_, T, S> {
        Join { queue: self, key: None }
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let n = self.unfinished.get();
        if n == 0 {
            return Err(TaskDoneError);
        }
        self.unfinished.set(n - 1);
        if n == 1 {
            self.joiners.notify_all(|| ());
        }
        Ok(())
    }

    pub(crate) fn shutdown(&self, immediate: bool) {
        self.shutdown.set(true);
        let mut drained = None;
        if immediate {
            let items = mem::take(&mut *self.items.borrow_mut());
            self.reserved_items.set(0);
            self.unfinished.set(self.unfinished.get().saturating_sub(items.len()));
            if self.unfinished.get() == 0 {
                self.joiners.notify_all(|| ());
            }
            drained = Some(items);
        }
        self.getters.notify_all(|| Grant::ShutDown);
        self.putters.notify_all(|| Grant::ShutDown);
        // Items are dropped last, with no borrow held.
        drop(drained);
    }
}

impl<T, S: Store<T>> fmt::Debug for QueueCore<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.items.try_borrow().map(|s| s.len()).ok())
            .field("maxsize", &self.maxsize)
            .field("getters", &self.getters.len())
            .field("putters", &self.putters.len())
            .field("unfinished", &self.unfinished.get())
            .field("shutdown", &self.shutdown.get())
            .finish()
    }
}

/// `put(item).await`.
pub(crate) struct Put<'a, T, S: Store<T>> {
    queue: &'a QueueCore<T, S>,
    item: Option<T>,
    key: Option<WaiterKey>,
}

// The item is moved out, never pinned.
impl<T, S: Store<T>> Unpin for Put<'_, T, S> {}

impl<T, S: Store<T>> Future for Put<'_, T, S> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let q = this.queue;
        if this.key.is_none() {
            let item = this.item.take().expect("Put polled after completion");
            return match q.put_nowait(item) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(PutError::ShutDown(item)) => Poll::Ready(Err(QueueShutDown(item))),
                Err(PutError::Full(item)) => {
                    this.item = Some(item);
                    this.key = Some(q.putters.push(cx.waker().clone()));
                    Poll::Pending
                }
            };
        }
        let grant = std::task::ready!(q.putters.poll_notified(&mut this.key, cx.waker()));
        let item = this.item.take().expect("Put polled after completion");
        if grant == Grant::Reserved {
            q.reserved_slots.set(q.reserved_slots.get() - 1);
            if !q.shutdown.get() {
                q.push_item(item);
                return Poll::Ready(Ok(()));
            }
        }
        Poll::Ready(Err(QueueShutDown(item)))
    }
}

impl<T, S: Store<T>> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        if self.queue.putters.remove(&mut self.key) == Some(Grant::Reserved) {
            let q = self.queue;
            q.reserved_slots.set(q.reserved_slots.get() - 1);
            q.offer_slot();
        }
    }
}

/// `get().await`.
pub(crate) struct Get<'a, T, S: Store<T>> {
    queue: &'a QueueCore<T, S>,
    key: Option<WaiterKey>,
}

impl<T, S: Store<T>> Future for Get<'_, T, S> {
    type Output = Result<T, QueueShutDown>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let q = this.queue;
        if this.key.is_none() {
            return match q.get_nowait() {
                Ok(item) => Poll::Ready(Ok(item)),
                Err(GetError::ShutDown) => Poll::Ready(Err(QueueShutDown(()))),
                Err(GetError::Empty) => {
                    this.key = Some(q.getters.push(cx.waker().clone()));
                    Poll::Pending
                }
            };
        }
        let grant = std::task::ready!(q.getters.poll_notified(&mut this.key, cx.waker()));
        // After `shutdown(true)` the reserved item may have been discarded.
        if grant == Grant::Reserved && q.len() > 0 {
            q.reserved_items.set(q.reserved_items.get() - 1);
            return Poll::Ready(Ok(q.take_item()));
        }
        Poll::Ready(Err(QueueShutDown(())))
    }
}

impl<T, S: Store<T>> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        let q = self.queue;
        if q.getters.remove(&mut self.key) == Some(Grant::Reserved) && q.len() > 0 {
            // Our reserved item goes to the next getter, or back to the queue.
            q.reserved_items.set(q.reserved_items.get() - 1);
            q.offer_item();
        }
    }
}

/// `join().await`.
pub(crate) struct Join<'a, T, S> {
    queue: &'a QueueCore<T, S>,
    key: Option<WaiterKey>,
}

impl<T, S> Future for Join<'_, T, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let q = this.queue;
        if this.key.is_none() {
            if q.unfinished.get() == 0 {
                return Poll::Ready(());
            }
            this.key = Some(q.joiners.push(cx.waker().clone()));
            return Poll::Pending;
        }
        q.joiners.poll_notified(&mut this.key, cx.waker())
    }
}

impl<T, S> Drop for Join<'_, T, S> {
    fn drop(&mut self) {
        self.queue.joiners.remove(&mut self.key);
    }
}
