//! `TaskError`: why a task produced no value.

use std::any::Any;
use std::fmt;
use std::sync::Mutex;

/// Why a task ended without a value: it was cancelled, or it panicked.
///
/// A panic inside a task is caught and kept here; the loop and the other
/// tasks go on. `into_panic` gives the payload back, for
/// `std::panic::resume_unwind`.
///
/// ```
/// # use evloop_core as evloop;
/// evloop::run(async {
///     let task = evloop::spawn(async { panic!("boom") });
///     let err = task.await.unwrap_err();
///     assert!(err.is_panic());
///     assert!(err.to_string().contains("boom"));
/// });
/// ```
pub struct TaskError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    /// The work was never started: the loop was closing.
    Refused(&'static str),
    // The Mutex makes the error `Sync` (a panic payload is only `Send`),
    // so a `TaskError` fits in a `Box<dyn Error + Send + Sync>`.
    Panic(Box<Mutex<Box<dyn Any + Send + 'static>>>),
}

impl TaskError {
    pub(crate) fn cancelled() -> TaskError {
        TaskError { repr: Repr::Cancelled }
    }

    pub(crate) fn refused(why: &'static str) -> TaskError {
        TaskError {
            repr: Repr::Refused(why),
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> TaskError {
        TaskError {
            repr: Repr::Panic(Box::new(Mutex::new(payload))),
        }
    }

    /// True if the task was cancelled (its future was dropped), or its work
    /// was refused because the loop was closing (see [`is_refused`](Self::is_refused)).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled | Repr::Refused(_))
    }

    /// True if the work never started because the loop was closing (for
    /// example `to_thread` called while `run` cancels the remaining tasks).
    pub fn is_refused(&self) -> bool {
        matches!(self.repr, Repr::Refused(_))
    }

    /// True if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload.
    ///
    /// # Panics
    /// If the task was cancelled rather than panicking; check
    /// [`is_panic`](Self::is_panic) first, or use [`try_into_panic`](Self::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().unwrap_or_else(|_| {
            panic!("TaskError::into_panic called on a cancelled task's error; check is_panic() first")
        })
    }

    /// The panic payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, TaskError> {
        match self.repr {
            Repr::Panic(p) => Ok((*p).into_inner().unwrap_or_else(|poison| poison.into_inner())),
            Repr::Cancelled | Repr::Refused(_) => Err(self),
        }
    }

    fn panic_message(&self) -> Option<String> {
        let Repr::Panic(p) = &self.repr else {
            return None;
        };
        let payload = p.lock().unwrap_or_else(|poison| poison.into_inner());
        if let Some(s) = payload.downcast_ref::<&'static str>() {
            Some((*s).to_string())
        } else {
            payload.downcast_ref::<String>().cloned()
        }
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("TaskError::Cancelled"),
            Repr::Refused(why) => write!(f, "TaskError::Refused({why:?})"),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "TaskError::Panic({msg:?})"),
                None => f.write_str("TaskError::Panic(..)"),
            },
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("task was cancelled"),
            Repr::Refused(why) => f.write_str(why),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl std::error::Error for TaskError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn fits_in_a_box_error_and_displays_the_panic_message() {
        assert_send_sync::<TaskError>();
        let e = TaskError::panic(Box::new("bad input"));
        assert_eq!(e.to_string(), "task panicked: bad input");
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
        assert!(boxed.to_string().contains("bad input"));
        let c = TaskError::cancelled();
        assert!(c.is_cancelled() && !c.is_panic());
        assert_eq!(c.to_string(), "task was cancelled");
        assert!(c.try_into_panic().is_err());
        let p = TaskError::panic(Box::new(String::from("x")));
        assert_eq!(p.into_panic().downcast_ref::<String>().unwrap(), "x");
    }
}
