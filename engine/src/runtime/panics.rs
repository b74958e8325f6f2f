//! What a caught panic said, for the log and the error hook.

use std::any::Any;

/// The panic's message, when it was a string (as `panic!` makes it).
pub(crate) fn message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}
