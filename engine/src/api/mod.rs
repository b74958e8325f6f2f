//! What route files (and the proxy) see: the request, the response, the
//! context, cookies, forms, streams, errors and method semantics, and the
//! `Segment` and `Router` builders. Nothing here serves a request, and
//! nothing here imports the runtime or the cache.

pub(crate) mod context;
pub(crate) mod cookies;
pub(crate) mod dynamic_reads;
pub(crate) mod error;
pub(crate) mod form;
pub(crate) mod handler;
pub(crate) mod header_error;
pub(crate) mod method;
pub(crate) mod origin;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod response_headers;
pub(crate) mod revalidator;
pub(crate) mod router;
pub(crate) mod segment;
pub mod stream;
