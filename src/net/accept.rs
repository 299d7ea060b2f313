//! The accept loop shared by the listeners: what to do when `accept(2)`
//! fails.
//!
//! - Out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`,
//!   `ENOMEM`): the pending connection stays in the kernel's backlog and the
//!   listener stays readable, so retrying at once would spin. Sleep instead,
//!   10 ms doubling up to 100 ms, and retry until descriptors free up: a
//!   server never dies, and never burns a core, because a limit was hit.
//! - The connection died in the backlog (`ECONNABORTED`), or Linux passed on
//!   a network error of the new socket (`EPROTO`, `ENETDOWN`, ... as
//!   accept(2) asks to treat like `EAGAIN`): that connection is gone; try
//!   the next one at once.
//! - Anything else goes to the caller.
//!
//! Several tasks may await `accept` on one listener at once (a common
//! server pattern). The listener's readiness has a single waker slot, so
//! they take turns, first come first served ([`AcceptQueue`]): only the task
//! at the head of the queue waits for the socket, and when it leaves — with
//! a connection, an error, or cancelled — the next one takes over. Each
//! acceptor thus gets its own connection, in the order they started waiting.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use evloop_core::reactor::{Direction, IoSource};

const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts one connection with `op` once it is this task's turn, riding out
/// resource exhaustion.
pub(crate) async fn accept<S, T>(
    io: &IoSource<S>,
    queue: &AcceptQueue,
    mut op: impl FnMut(&S) -> io::Result<T>,
) -> io::Result<T>
where
    S: mio::event::Source,
{
    let _turn = queue.turn().await;
    let mut backoff = FIRST_BACKOFF;
    loop {
        match poll_fn(|cx| io.poll_io(Direction::Read, cx, &mut op)).await {
            Ok(accepted) => return Ok(accepted),
            Err(e) if is_out_of_resources(&e) => {
                evloop_core::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) if is_connection_gone(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The FIFO of tasks waiting in one listener's `accept`.
#[derive(Default)]
pub(crate) struct AcceptQueue {
    /// Waiting tasks by ticket, oldest first; the head's turn it is.
    waiting: RefCell<VecDeque<(u64, Waker)>>,
    next_ticket: Cell<u64>,
}

impl AcceptQueue {
    /// Waits for this task's turn; the turn ends when the guard drops.
    fn turn(&self) -> TurnWait<'_> {
        TurnWait {
            queue: self,
            ticket: None,
        }
    }

    /// Removes `ticket`; if that makes another task the head, wakes it.
    fn leave(&self, ticket: u64) {
        let mut waiting = self.waiting.borrow_mut();
        let Some(at) = waiting.iter().position(|(t, _)| *t == ticket) else {
            return;
        };
        waiting.remove(at);
        let next = if at == 0 {
            waiting.front().map(|(_, w)| w.clone())
        } else {
            None
        };
        drop(waiting);
        if let Some(waker) = next {
            waker.wake();
        }
    }
}

/// Waits until its ticket is at the head of the queue.
struct TurnWait<'a> {
    queue: &'a AcceptQueue,
    ticket: Option<u64>,
}

impl<'a> Future for TurnWait<'a> {
    type Output = Turn<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Turn<'a>> {
        let queue = self.queue;
        let mut waiting = queue.waiting.borrow_mut();
        let ticket = match self.ticket {
            Some(ticket) => ticket,
            None => {
                let ticket = queue.next_ticket.get();
                queue.next_ticket.set(ticket + 1);
                waiting.push_back((ticket, cx.waker().clone()));
                self.ticket = Some(ticket);
                ticket
            }
        };
        if waiting.front().map(|(t, _)| *t) == Some(ticket) {
            self.ticket = None;
            return Poll::Ready(Turn { queue, ticket });
        }
        if let Some((_, waker)) = waiting.iter_mut().find(|(t, _)| *t == ticket) {
            if !waker.will_wake(cx.waker()) {
                *waker = cx.waker().clone();
            }
        }
        Poll::Pending
    }
}

impl Drop for TurnWait<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            self.queue.leave(ticket);
        }
    }
}

/// The head of the queue's turn; passes it on when dropped.
struct Turn<'a> {
    queue: &'a AcceptQueue,
    ticket: u64,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.queue.leave(self.ticket);
    }
}

fn is_out_of_resources(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

fn is_connection_gone(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ECONNABORTED
                | libc::EPROTO
                | libc::ENETDOWN
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
                | libc::EPERM
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_sorted() {
        let e = |n| io::Error::from_raw_os_error(n);
        assert!(is_out_of_resources(&e(libc::EMFILE)) && is_out_of_resources(&e(libc::ENFILE)));
        assert!(is_connection_gone(&e(libc::ECONNABORTED)));
        assert!(!is_out_of_resources(&e(libc::EBADF)) && !is_connection_gone(&e(libc::EBADF)));
    }
}
