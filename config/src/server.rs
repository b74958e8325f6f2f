//! Where and how the HTTP server listens.

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".to_string(),
            port: 3000,
            workers: 0,
            body_limit: 1024 * 1024,
        }
    }
}
