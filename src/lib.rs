//! Trellis serves Next.js-style Route Handlers from Rust: route files laid out
//! by URL segment under `app/`, `GET`/`POST`/... functions in them, segment
//! config beside them, each segment served by an actix actor.
//!
//! This crate is the facade: route files `use trellis::prelude::*`, and a
//! crate serving its own `app/` folder calls [`include_app!`] after
//! `trellis_routes::build("app")` in its build script.
//!
//! ```ignore
//! // app/api/hello/route.rs
//! use trellis::prelude::*;
//!
//! pub async fn GET() -> Result<Response> {
//!     Ok(Response::json(&json!({ "message": "Hello World" })))
//! }
//! ```

pub use trellis_engine::*;

/// Time for route functions: timers on the runtime that runs them
/// (`sleep`, `timeout`), and the wall clock as JavaScript's `Date.now()`.
pub mod time {
    pub use actix_rt::time::*;

    /// Milliseconds since the Unix epoch, as `Date.now()` gives them.
    pub fn unix_millis() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// Runs a future in the background on the current worker, as route
/// functions that keep producing after they return need (streams).
pub use actix_rt::spawn;

/// Everything a route file needs.
pub mod prelude {
    pub use crate::{
        permanent_redirect, redirect, Context, CookieOptions, CorsPolicy, Dynamic, Error, FormData,
        FormValue, HttpMethod, ParamValue, Params, Request, Response, Result, Router, SameSite,
        Segment, StatusCode,
    };
    /// `stream! { yield chunk; }`: an async generator, for `Response::stream`.
    pub use async_stream::stream;
    pub use bytes::Bytes;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::json;
}

/// Includes the routes that `trellis_routes::build` generated from the
/// crate's `app/` folder: a `router()` function and one module per route
/// file. Use it inside a module of its own:
///
/// ```ignore
/// mod app {
///     trellis::include_app!();
/// }
///
/// let server = trellis::Server::build(trellis::ServerConfig::default(), app::router())?;
/// ```
#[macro_export]
macro_rules! include_app {
    () => {
        include!(concat!(env!("OUT_DIR"), "/trellis_app.rs"));
    };
}
