//! Where and how the HTTP server listens, and how its cache behaves.

use std::time::Duration;

/// The server's settings. Defaults serve the demo on 127.0.0.1:3000.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub host: String,
    /// `0` asks the OS for a free port (tests do).
    pub port: u16,
    /// HTTP worker threads; `0` means one per core.
    pub workers: usize,
    /// Largest request body read, in bytes; larger ones get 413.
    pub body_limit: usize,
    pub cache: CacheConfig,
    /// Where the Prometheus metrics are served; `None` switches them off.
    pub metrics_path: Option<String>,
    /// The CORS policy of every route that sets none of its own.
    pub cors: Option<crate::CorsPolicy>,
    /// A bearer token that lets non-loopback clients call the admin endpoint
    /// (`/_trellis/revalidate`); loopback clients need none.
    pub admin_token: Option<String>,
}

/// The revalidation cache's settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Bytes of cached responses held, across all routes.
    pub budget_bytes: u64,
    /// How often the timer refreshes requested entries whose period is over;
    /// `0` switches the timer off (regeneration on request only, as Next.js).
    pub tick_ms: u64,
    /// Seconds after which an entry nobody asks for leaves the cache.
    pub time_to_idle_secs: u64,
}

impl CacheConfig {
    /// The timer's period, or `None` when it is off.
    pub fn tick(&self) -> Option<Duration> {
        (self.tick_ms > 0).then(|| Duration::from_millis(self.tick_ms))
    }

    pub fn time_to_idle(&self) -> Duration {
        Duration::from_secs(self.time_to_idle_secs)
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            budget_bytes: 256 * 1024 * 1024,
            tick_ms: 1000,
            time_to_idle_secs: 600,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".to_string(),
            port: 3000,
            workers: 0,
            body_limit: 1024 * 1024,
            cache: CacheConfig::default(),
            metrics_path: Some("/_trellis/metrics".to_string()),
            cors: None,
            admin_token: None,
        }
    }
}
