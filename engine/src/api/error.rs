//! `trellis::Error`: what a route function returns when it does not answer
//! with a response of its own, and the one place that turns it into one.

use std::error::Error as StdError;
use std::fmt;

use actix_web::http::StatusCode;

use crate::api::response::Response;

/// The result of a route function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error a route function returns. Any `std::error::Error` converts into
/// [`Error::Internal`], so `?` works on everything; the other variants choose
/// the status on purpose.
///
/// ```
/// use trellis_engine::{Error, Response, Result};
///
/// fn find(id: &str) -> Result<Response> {
///     let n: u64 = id.parse()?; // a ParseIntError: 500, logged
///     if n == 0 {
///         return Err(Error::NotFound);
///     }
///     Ok(Response::text(n.to_string()))
/// }
/// ```
pub enum Error {
    /// 400 with `{"error": "<message>"}`.
    BadRequest(String),
    /// 415 with `{"error": "<message>"}`: a body of the wrong content type.
    UnsupportedMediaType(String),
    /// 404 with an empty body, as `notFound()` answers; [`not_found`]
    /// throws it.
    NotFound,
    /// This status, with an empty body ([`forbidden`] and [`unauthorized`]
    /// throw 403 and 401).
    Status(StatusCode),
    /// Send this response as it is (how `redirect()` is thrown).
    Response(Response),
    /// 500 with an empty body, as Next.js answers a throwing handler; the
    /// cause goes to the log.
    Internal(Box<dyn StdError + Send + Sync>),
}

/// `redirect(url)` thrown, as Next.js throws it: `return Err(redirect(url))`,
/// or `redirect(url)?` from a helper. 307 with `Location`.
pub fn redirect(url: &str) -> Error {
    Error::Response(Response::redirect(url))
}

/// `permanentRedirect(url)` thrown: 308 with `Location`.
pub fn permanent_redirect(url: &str) -> Error {
    Error::Response(Response::permanent_redirect(url))
}

/// `notFound()` thrown: 404 with an empty body.
///
/// ```
/// use trellis_engine::{not_found, Response, Result};
///
/// fn only_one(id: &str) -> Result<Response> {
///     if id != "1" {
///         return Err(not_found());
///     }
///     Ok(Response::text("one"))
/// }
/// # assert!(only_one("2").is_err());
/// ```
pub fn not_found() -> Error {
    Error::NotFound
}

/// `forbidden()` thrown: 403 with an empty body.
pub fn forbidden() -> Error {
    Error::Status(StatusCode::FORBIDDEN)
}

/// `unauthorized()` thrown: 401 with an empty body.
pub fn unauthorized() -> Error {
    Error::Status(StatusCode::UNAUTHORIZED)
}

impl<E: Into<Box<dyn StdError + Send + Sync>>> From<E> for Error {
    fn from(error: E) -> Self {
        Error::Internal(error.into())
    }
}

impl Error {
    /// The response the client gets. Internal causes are logged with the
    /// route, never sent.
    pub(crate) fn into_response(self, route: &str) -> Response {
        match self {
            Error::BadRequest(message) => Response::json_error(StatusCode::BAD_REQUEST, &message),
            Error::UnsupportedMediaType(message) => {
                Response::json_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message)
            }
            Error::NotFound => Response::empty(StatusCode::NOT_FOUND),
            Error::Status(status) => Response::empty(status),
            Error::Response(response) => response,
            Error::Internal(cause) => {
                tracing::error!(route, error = %ErrorChain(&*cause), "route function failed");
                Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadRequest(message) => write!(f, "BadRequest({message:?})"),
            Error::UnsupportedMediaType(message) => write!(f, "UnsupportedMediaType({message:?})"),
            Error::NotFound => f.write_str("NotFound"),
            Error::Status(status) => write!(f, "Status({status})"),
            Error::Response(response) => write!(f, "Response({})", response.status()),
            Error::Internal(cause) => write!(f, "Internal({})", ErrorChain(&**cause)),
        }
    }
}

/// Writes an error and every cause under it, so the log shows the whole why.
struct ErrorChain<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
