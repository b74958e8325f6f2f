//! The sections of `trellis.toml` that say how the server runs.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[server]`: where and how the HTTP server listens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub host: String,
    /// `0` asks the OS for a free port (tests do).
    pub port: u16,
    /// HTTP worker threads; `0` means one per core.
    pub workers: usize,
    /// Seconds an idle keep-alive connection stays open; `0` turns
    /// keep-alive off.
    pub keep_alive_secs: u64,
    /// Milliseconds a client has to send the request head (slowloris guard).
    pub client_request_timeout_ms: u64,
    /// Milliseconds a client has to close its side after the response.
    pub client_disconnect_timeout_ms: u64,
    /// Seconds requests in flight may take to finish after SIGTERM/Ctrl-C.
    pub shutdown_grace_secs: u64,
    /// Open connections per worker; more wait until one closes.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".to_string(),
            port: 3000,
            workers: 0,
            keep_alive_secs: 5,
            client_request_timeout_ms: 5000,
            client_disconnect_timeout_ms: 1000,
            shutdown_grace_secs: 30,
            max_connections: 25_000,
        }
    }
}

impl ServerConfig {
    pub fn keep_alive(&self) -> Option<Duration> {
        (self.keep_alive_secs > 0).then(|| Duration::from_secs(self.keep_alive_secs))
    }

    pub fn client_request_timeout(&self) -> Duration {
        Duration::from_millis(self.client_request_timeout_ms)
    }

    pub fn client_disconnect_timeout(&self) -> Duration {
        Duration::from_millis(self.client_disconnect_timeout_ms)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// `[limits]`: what a request may be.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body read, in bytes; larger ones get 413.
    pub body_bytes: usize,
    /// Milliseconds to receive a whole body; slower ones get 408.
    pub body_timeout_ms: u64,
    /// Largest total of header names and values, in bytes; 431 beyond.
    pub header_bytes: usize,
    /// Longest request target (path and query), in bytes; 414 beyond.
    pub url_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            body_bytes: 1024 * 1024,
            body_timeout_ms: 10_000,
            header_bytes: 16 * 1024,
            url_bytes: 8 * 1024,
        }
    }
}

impl LimitsConfig {
    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms)
    }
}

/// `[cache]`: the revalidation cache's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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

/// `[admin]`: the engine's own endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Serve Prometheus metrics at `metrics_path`.
    pub metrics: bool,
    pub metrics_path: String,
    /// A bearer token that lets non-loopback clients call
    /// `/_trellis/revalidate`; loopback clients need none.
    pub token: Option<String>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            metrics: true,
            metrics_path: "/_trellis/metrics".to_string(),
            token: None,
        }
    }
}
