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

use std::future::poll_fn;
use std::io;
use std::time::Duration;

use evloop_core::reactor::{Direction, IoSource};

const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts one connection with `op`, riding out resource exhaustion.
pub(crate) async fn accept<S, T>(io: &IoSource<S>, mut op: impl FnMut(&S) -> io::Result<T>) -> io::Result<T>
where
    S: mio::event::Source,
{
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
