//! `select!`: wait for the first of several futures, drop the others.
//!
//! The macro folds its branches into nested two-way selects:
//! `select2(a, select2(b, c))`. Each `select2` polls its left side first, so
//! the branches are polled in the order they are written. The output is a
//! nested [`Branch`]: branch 0 finishes as `This(v)`, branch 1 as
//! `Next(This(v))`, and the last one as `Next(Next(v))`. The macro matches
//! those shapes with the user's patterns, after the futures are dropped.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// Which side of a [`select2`] finished first.
#[doc(hidden)]
#[derive(Debug)]
pub enum Branch<A, B> {
    /// The left future finished.
    This(A),
    /// The right future (itself possibly a nested select) finished.
    Next(B),
}

/// Polls `a`, then `b`, until one of them is ready; the other is dropped
/// when this future is.
#[doc(hidden)]
pub async fn select2<A: Future, B: Future>(a: A, b: B) -> Branch<A::Output, B::Output> {
    let mut a = pin!(Some(a));
    let mut b = pin!(Some(b));
    let winner = poll_fn(|cx| {
        if let Some(Poll::Ready(v)) = a.as_mut().as_pin_mut().map(|a| a.poll(cx)) {
            return Poll::Ready(Branch::This(v));
        }
        if let Some(Poll::Ready(v)) = b.as_mut().as_pin_mut().map(|b| b.poll(cx)) {
            return Poll::Ready(Branch::Next(v));
        }
        Poll::Pending
    })
    .await;
    // The losers are cancelled: tasks they were awaiting are cancelled too.
    crate::as_cancellation(|| {
        a.set(None);
        b.set(None);
    });
    winner
}

/// Waits for the first of several futures to finish, drops (cancels) the
/// others, and evaluates the finished branch's expression with its output.
///
/// ```text
/// evloop::select! {
///     pattern = future => expression,
///     ...
/// }
/// ```
///
/// Use it inside an `async` context: it awaits by itself, and the whole
/// `select!` is an expression whose value is that of the winning branch.
///
/// * Every `future` expression is evaluated once, in the order written,
///   before any of them is polled. They run in place: they need not be
///   `'static`, `Unpin` or boxed.
/// * The branches are polled **in the order written** on every wake-up
///   (biased): when several are ready at once, the first one wins. tokio's
///   `select!` picks a random order unless told `biased;`; evloop is always
///   biased, so put the branch that must win ties (a shutdown signal, say)
///   first.
/// * Once a branch finishes, the other futures are dropped — a cancellation,
///   as in asyncio's `wait(..., FIRST_COMPLETED)` followed by cancelling the
///   rest — *before* its expression runs, so the expression may use what the
///   futures borrowed.
/// * Patterns must be irrefutable (`v`, `_`, `(a, b)`): `Some(v) = fut`
///   does not compile ("refutable pattern in local binding"), and no branch
///   is skipped for not matching, unlike tokio. Match on the value inside
///   the expression instead.
/// * A trailing comma is allowed; a block expression needs no comma after it.
///
/// ```compile_fail
/// evloop::run(async {
///     // error[E0005]: refutable pattern in local binding
///     let n = evloop::select! { Some(n) = async { Some(1) } => n };
/// });
/// ```
///
/// Accept connections until a shutdown signal arrives:
///
/// ```
/// use evloop::net::TcpListener;
/// use evloop::sync::Event;
///
/// evloop::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let shutdown = Event::new();
///     shutdown.set(); // as if a signal had arrived already
///     let accepted = evloop::select! {
///         () = shutdown.wait() => None,
///         conn = listener.accept() => Some(conn),
///     };
///     assert!(accepted.is_none());
/// });
/// ```
///
/// A timeout, spelled as a race (the losing sleep is dropped):
///
/// ```
/// use std::time::Duration;
///
/// let lp = evloop::EventLoop::builder().paused_clock(true).build().unwrap();
/// lp.block_on(async {
///     let slow = async { evloop::sleep(Duration::from_secs(10)).await; "slow" };
///     let winner = evloop::select! {
///         s = slow => s,
///         _ = evloop::sleep(Duration::from_secs(1)) => "timer",
///     };
///     assert_eq!(winner, "timer");
/// });
/// ```
#[macro_export]
macro_rules! select {
    ($($branches:tt)+) => {
        $crate::__select_parse!([] $($branches)+)
    };
}

/// Normalizes the branches to `pat = fut => body,` (a block body needs no
/// comma after it), then expands them.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    ([$($done:tt)*] $pat:pat = $fut:expr => $body:block, $($rest:tt)*) => {
        $crate::__select_parse!([$($done)* $pat = $fut => $body,] $($rest)*)
    };
    ([$($done:tt)*] $pat:pat = $fut:expr => $body:block $($rest:tt)*) => {
        $crate::__select_parse!([$($done)* $pat = $fut => $body,] $($rest)*)
    };
    ([$($done:tt)*] $pat:pat = $fut:expr => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!([$($done)* $pat = $fut => $body,] $($rest)*)
    };
    ([$($done:tt)*] $pat:pat = $fut:expr => $body:expr) => {
        $crate::__select_parse!([$($done)* $pat = $fut => $body,])
    };
    // One branch: it sits on the left of a select with `pending()`.
    ([$pat:pat = $fut:expr => $body:expr,]) => {{
        let output = $crate::__private::select2($fut, ::core::future::pending::<::core::convert::Infallible>()).await;
        match output {
            $crate::__private::Branch::This(value) => {
                let $pat = value;
                $body
            }
            $crate::__private::Branch::Next(never) => match never {},
        }
    }};
    ([$($pat:pat = $fut:expr => $body:expr,)+]) => {{
        let output = $crate::__select_futures!($($fut,)+).await;
        $crate::__select_arms!(output; []; []; $($pat => $body,)+)
    }};
    ([$($done:tt)*] $($rest:tt)+) => {
        ::core::compile_error!("evloop::select! expects branches of the form `pattern = future => expression,`")
    };
}

/// Nests the futures into `select2` calls, left to right.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_futures {
    ($last:expr,) => { $last };
    ($first:expr, $($rest:expr,)+) => {
        $crate::__private::select2($first, $crate::__select_futures!($($rest,)+))
    };
}

/// Accumulates the arms: every branch but the last is `Next^depth(This(value))`,
/// the last is `Next^depth(value)`; each arm binds the user's pattern with a
/// `let`, so a refutable pattern is reported as such.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_arms {
    ($out:ident; [$($depth:tt)*]; [$($arms:tt)*]; $pat:pat => $body:expr,) => {
        match $out {
            $($arms)*
            $crate::__select_pattern!([$($depth)*] value) => {
                let $pat = value;
                $body
            }
        }
    };
    ($out:ident; [$($depth:tt)*]; [$($arms:tt)*]; $pat:pat => $body:expr, $($rest:tt)+) => {
        $crate::__select_arms!(
            $out; [$($depth)* _]; [
                $($arms)*
                $crate::__select_pattern!([$($depth)*] $crate::__private::Branch::This(value)) => {
                    let $pat = value;
                    $body
                }
            ]; $($rest)+
        )
    };
}

/// `Next(Next(...(pat)))`, one `Next` per `_` in the brackets.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_pattern {
    ([] $pat:pat) => { $pat };
    ([_ $($depth:tt)*] $pat:pat) => {
        $crate::__private::Branch::Next($crate::__select_pattern!([$($depth)*] $pat))
    };
}
