//! Setting a response's headers from text, checked: a name or value HTTP
//! forbids (CR, LF, other controls) is refused, never sent. Apart from
//! `response.rs`, because a refusal is a route function's `Error`, and
//! `Error` can carry a `Response`.

use actix_web::http::header::{HeaderName, HeaderValue};

use crate::api::error::Result;
use crate::api::header_error::HeaderError;
use crate::api::response::Response;

impl Response {
    /// Sets a header, replacing any of the same name. A name or value that is
    /// not valid in HTTP (CR, LF and other control characters) is an error.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let (name, value) = checked_header(name, value)?;
        self.headers_mut().insert(name, value);
        Ok(self)
    }

    /// Adds a header beside any of the same name (`Set-Cookie`, `Vary`).
    pub fn append_header(mut self, name: &str, value: &str) -> Result<Self> {
        let (name, value) = checked_header(name, value)?;
        self.headers_mut().append(name, value);
        Ok(self)
    }
}

pub(crate) fn checked_header(
    name: &str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), HeaderError> {
    let name = HeaderName::try_from(name).map_err(|_| HeaderError::name(name))?;
    let value = HeaderValue::try_from(value).map_err(|_| HeaderError::value(name.as_str()))?;
    Ok((name, value))
}
