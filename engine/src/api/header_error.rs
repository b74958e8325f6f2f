//! `HeaderError`: a header a response may not carry, turned into the route
//! function's `Error` (a logged 500) by `?` as any error is.

/// A header name, or a value, that HTTP does not allow (CR, LF and other
/// control characters among them): refused, never sent.
///
/// ```
/// use trellis_engine::Response;
///
/// let refused = Response::text("hi").header("x-note", "split\r\nSet-Cookie: a=1");
/// assert!(format!("{:?}", refused.unwrap_err()).contains("invalid value for header `x-note`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HeaderError(String);

impl HeaderError {
    pub(crate) fn name(name: &str) -> Self {
        HeaderError(format!("invalid header name {name:?}"))
    }

    pub(crate) fn value(name: &str) -> Self {
        HeaderError(format!("invalid value for header `{name}`"))
    }
}
