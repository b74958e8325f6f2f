//! `ServerError`: why a server could not start. Its own file, below both
//! the building of the routes and the server that binds them.

use std::io;

#[cfg(feature = "redis")]
use trellis_cache::SharedStoreError;
use trellis_config::ConfigError;
use trellis_routes::RouteError;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the route table cannot be built: {0}")]
    Routes(#[from] RouteError),
    #[error("invalid config: {0}")]
    Config(#[from] ConfigError),
    /// The shared tier (the `redis` feature) could not be set up.
    #[cfg(feature = "redis")]
    #[error(transparent)]
    SharedStore(#[from] SharedStoreError),
    /// The HTTP client that rewrites to other servers go through.
    #[error("cannot start the HTTP client for rewrites: {0}")]
    Upstream(#[source] reqwest::Error),
    #[error("cannot listen on {address}: {error}")]
    Bind { address: String, error: io::Error },
    /// The OpenTelemetry exporter could not be set up.
    #[error("cannot export spans: {0}")]
    Telemetry(String),
}
