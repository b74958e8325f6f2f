//! Configuration for Trellis: what a route segment declares beside its
//! handlers, and how the server runs.
//!
//! # Layout
//!
//! - `segment`: [`SegmentConfig`] and [`Dynamic`], the Next.js segment config
//!   options (`revalidate`, `dynamic`, `dynamicParams`, `maxDuration`, tags).
//! - `server`: [`ServerConfig`], where and how the HTTP server listens.
//! - `cors`: [`CorsPolicy`], for a segment or every route.
//! - `error`: [`ConfigError`], naming the key that is wrong.

mod cors;
mod error;
mod segment;
mod server;

pub use cors::CorsPolicy;
pub use error::ConfigError;
pub use segment::{Dynamic, RouteKind, SegmentConfig};
pub use server::{CacheConfig, ServerConfig};
