//! Route patterns, the matcher and file-system route discovery for Trellis.
//!
//! No actix in here: this crate turns folders and pattern strings into a
//! [`RouteTable`], and paths into a [`RouteMatch`].
//!
//! # Layout
//!
//! - `pattern`: [`RoutePattern`], parsed from `/shop/[tag]/[...rest]` or from
//!   the folder names under `app/`.
//! - `matcher`: [`RouteTable`], built once, matching with Next.js priority.
//! - `path_matcher`: [`PathMatcher`], Next.js's matcher syntax
//!   (`/api/:path*`), for the proxy's `MATCHER` and `trellis.toml` rules.
//! - `params`: [`Params`] and [`ParamValue`], what a match fills in.
//! - `percent`: strict percent-decoding of path segments.
//! - `discover`: finds `app/**/route.rs` and reads them with `syn`.
//! - `instrumentation`: finds `app/instrumentation.rs` and its
//!   `on_request_error`.
//! - `proxy_file`: finds `app/proxy.rs` (or `app/middleware.rs`).
//! - `codegen`: [`build`], the build-script step that generates `router()`.
//! - `error`: what each step can refuse, naming the files involved.
//!
//! # Features
//!
//! - `build` (default): `discover`, `instrumentation`, `proxy_file` and
//!   `codegen`, what an app's build script calls, with `syn` and `quote`.
//!   The engine depends on this crate without it, so that a server's own
//!   build compiles no Rust parser: Cargo builds a build script's
//!   dependencies apart, and the parser only there.

// What a build script runs (the `build` feature): the server needs none
// of it, nor the parser it reads route files with.
#[cfg(feature = "build")]
mod codegen;
#[cfg(feature = "build")]
pub mod discover;
#[cfg(feature = "build")]
pub mod instrumentation;
#[cfg(feature = "build")]
pub mod proxy_file;
#[cfg(feature = "build")]
mod source;

mod error;
mod matcher;
mod params;
mod params_de;
mod path_matcher;
mod pattern;
pub mod percent;

#[cfg(feature = "build")]
pub use codegen::{build, generate, GENERATED_FILE};
pub use error::{DiscoverError, MatchAborted, MatcherError, PatternError, RouteError};
pub use matcher::{RouteEntry, RouteMatch, RouteTable, SegmentId};
pub use params::{ParamValue, Params};
pub use params_de::ParamsError;
pub use path_matcher::PathMatcher;
pub use pattern::{PatternSegment, RoutePattern};
