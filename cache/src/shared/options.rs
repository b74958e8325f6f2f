//! `SharedOptions`: how an instance reaches the shared tier.

use std::time::Duration;

use trellis_config::{redact_url, REDACTED};

/// How an instance reaches the shared tier. `Debug` hides the password
/// and the secret.
#[derive(Clone)]
pub struct SharedOptions {
    /// `redis://host:port/db` (or `rediss://`, `unix://`).
    pub url: String,
    pub key_prefix: String,
    /// The longest any call waits on Redis.
    pub timeout: Duration,
    /// Added to a segment's `revalidate` to give entries their Redis TTL.
    pub grace: Duration,
    /// A regeneration lock's life if its holder never releases it.
    pub lock_ttl: Duration,
    /// Every tag the app's segments carry, for catching up on reconnect.
    pub tags: Vec<String>,
    /// Redis's memory use (all of it, `used_memory`) past which no entry
    /// is written.
    pub budget_bytes: u64,
    /// Signs every entry written, and refuses any read without a good
    /// signature: `[cache] secret`.
    pub secret: Option<String>,
}

impl std::fmt::Debug for SharedOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedOptions")
            .field("url", &redact_url(&self.url))
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .field("grace", &self.grace)
            .field("lock_ttl", &self.lock_ttl)
            .field("tags", &self.tags)
            .field("budget_bytes", &self.budget_bytes)
            .field("secret", &self.secret.as_ref().map(|_| REDACTED))
            .finish()
    }
}
