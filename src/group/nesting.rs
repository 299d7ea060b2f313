//! Which task group's body is being polled, so that a group nested in that
//! body can find its parent (see `GroupState::hand_up`).
//!
//! A `task_group` future is first polled where it lives: inside the body of
//! the group that owns it, if any. The driver marks its body as being
//! polled for the duration of each poll ([`BodyPoll`]); a group created
//! meanwhile records the mark as its parent (in its driver, which hands the
//! group's errors up if it is dropped unfinished). A group in a spawned task has
//! none, since tasks are polled by the scheduler, not by a driver.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::state::GroupState;

thread_local! {
    /// The group whose body is being polled right now, on this thread.
    static POLLING_BODY: RefCell<Weak<GroupState>> = const { RefCell::new(Weak::new()) };
}

/// The group whose body is being polled, if any.
pub(crate) fn polling_body() -> Weak<GroupState> {
    POLLING_BODY.with(|p| p.borrow().clone())
}

/// Marks `state`'s body as being polled until dropped (restoring the
/// previous mark: bodies nest).
pub(crate) struct BodyPoll {
    previous: Weak<GroupState>,
}

impl BodyPoll {
    pub(crate) fn enter(state: &Rc<GroupState>) -> BodyPoll {
        let previous = POLLING_BODY.with(|p| p.replace(Rc::downgrade(state)));
        BodyPoll { previous }
    }
}

impl Drop for BodyPoll {
    fn drop(&mut self) {
        POLLING_BODY.with(|p| *p.borrow_mut() = std::mem::take(&mut self.previous));
    }
}
