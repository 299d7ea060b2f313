//! The message of a caught panic.

use std::any::Any;

/// The message a panic was raised with (`panic!("...")` gives a `&str` or
/// a `String` payload); empty for any other payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
