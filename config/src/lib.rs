//! Configuration for Trellis: what a route segment declares beside its
//! handlers, and how the server runs.
//!
//! # Layout
//!
//! - `segment`: [`SegmentConfig`] and [`Dynamic`], the Next.js segment config
//!   options (`revalidate`, `dynamic`, `dynamicParams`, `maxDuration`, tags).
//! - `file`: [`Config`], all of `trellis.toml`, loaded and overridden by
//!   `TRELLIS_*` variables.
//! - `server`: its sections: [`ServerConfig`], [`LimitsConfig`],
//!   [`CacheConfig`], [`AdminConfig`].
//! - `telemetry`: [`TelemetryConfig`], where spans are exported (OTLP).
//! - `rules`: [`RouteOverride`], [`HeaderRule`], [`RedirectRule`],
//!   [`RewriteRule`] and their [`Condition`]s.
//! - `routing`: [`RoutingConfig`]: base path, trailing slashes, upstreams.
//! - `cache_life`: [`CacheLife`], a lifetime by numbers or by a profile's
//!   name (Next.js's `cacheLife` presets and `[cache.profiles]`).
//! - `cors`: [`CorsPolicy`], for a segment or every route.
//! - `proxies`: [`TrustedProxies`], whose forwarding headers are believed.
//! - `error`: [`ConfigError`], naming the key that is wrong.
//! - `redact`: [`redact_url`] and its kin, which keep passwords and tokens
//!   out of errors and logs.

mod cache_life;
mod cors;
mod error;
mod file;
mod proxies;
mod redact;
mod routing;
mod rules;
mod segment;
mod server;
mod telemetry;

pub use cache_life::CacheLife;
pub use cors::CorsPolicy;
pub use error::ConfigError;
pub use file::{Config, DEFAULT_FILE};
pub use proxies::TrustedProxies;
pub use redact::{is_secret_key, redact_url, scrub_secret, scrub_url, REDACTED};
pub use routing::RoutingConfig;
pub use rules::{
    Condition, ConditionKind, HeaderRule, Phase, RedirectRule, RewriteRule, RouteOverride,
};
pub use segment::{tag_problem, Dynamic, RouteKind, SegmentConfig, IMPLICIT_TAG_PREFIX};
pub use server::{
    is_authority, is_authority_bytes, AdminConfig, CacheConfig, LimitsConfig, ServerConfig,
    DEFAULT_DURATION_BUCKETS_US, DEFAULT_KEY_PREFIX, MEMORY_STORE, ONE_YEAR_SECS,
};
pub use telemetry::TelemetryConfig;
