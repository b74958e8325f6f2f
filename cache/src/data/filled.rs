//! `DataFilled`: what the caller making a value hands those waiting for
//! it, kept apart from both: the cache holds the channels it goes through,
//! the fill sends it.

use std::sync::Arc;

use crate::entry::CachedResponse;

/// What the caller making a value hands the callers waiting for it.
#[derive(Debug, Clone)]
pub enum DataFilled {
    /// The value, stored or not: data is no visitor's own, so every caller
    /// may have it.
    Value(Arc<CachedResponse>),
    /// Making it failed, for this reason.
    Failed(Arc<str>),
}
