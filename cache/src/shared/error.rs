//! `SharedStoreError`: why the Redis tier could not start.

use std::fmt;
use std::io;

/// The shared store did not start. The URL is shown with its password
/// hidden; the Redis client's reason is kept as text, scrubbed of the URL
/// and password, since a client message may quote the URL.
#[derive(Debug)]
pub enum SharedStoreError {
    /// The URL is not one the Redis client can use.
    Url { url: String, reason: String },
    /// The thread Redis runs on, or its runtime, could not start.
    Thread(io::Error),
    /// The Redis thread ended before it was ready.
    ThreadGone,
}

impl fmt::Display for SharedStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SharedStoreError::Url { url, reason } => write!(f, "cache store `{url}`: {reason}"),
            SharedStoreError::Thread(error) => write!(f, "cannot start the Redis thread: {error}"),
            SharedStoreError::ThreadGone => f.write_str("the Redis thread did not start"),
        }
    }
}

impl std::error::Error for SharedStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SharedStoreError::Thread(error) => Some(error),
            _ => None,
        }
    }
}
