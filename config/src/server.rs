//! The sections of `trellis.toml` that say how the server runs.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cache_life::{is_profile_name, CacheLife};
use crate::redact::{redact_url, REDACTED};
use crate::ConfigError;

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
    /// Seconds requests in flight, and `after()` callbacks, may take to
    /// finish after SIGTERM/Ctrl-C.
    pub shutdown_grace_secs: u64,
    /// Milliseconds the server goes on serving after SIGTERM, answering
    /// `/_trellis/ready` with 503, before it stops accepting: time for a
    /// load balancer to see it draining and stop sending.
    pub drain_delay_ms: u64,
    /// Compress answers with gzip or brotli when the client accepts them,
    /// as `next start` does (`compress: true`).
    pub compress: bool,
    /// Open connections per worker; more wait until one closes.
    pub max_connections: usize,
    /// The scheme and host the app is reached at (`https://example.com`),
    /// for what a route builds without a visitor's request behind it:
    /// `req.url()` of force-static routes and of background regenerations.
    /// Default: the address the server listens on.
    pub public_url: Option<String>,
    /// Peers (CIDR ranges) whose `Forwarded` and `X-Forwarded-*` headers are
    /// believed: the reverse proxies in front. Default: loopback only.
    pub trusted_proxies: Vec<String>,
    /// `Host`s this server answers (`example.com`, `*.example.com`); any
    /// other is a 400. Empty: any host.
    pub allowed_hosts: Vec<String>,
    /// Seconds a route function may run before the answer is 504, for
    /// routes without a `MAX_DURATION` of their own; `0`: no limit.
    pub max_duration_secs: u64,
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
            drain_delay_ms: 0,
            compress: true,
            max_connections: 25_000,
            public_url: None,
            trusted_proxies: vec!["127.0.0.0/8".to_string(), "::1/128".to_string()],
            allowed_hosts: Vec::new(),
            // Vercel's default for a function.
            max_duration_secs: 60,
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

    /// The deadline of a route without `MAX_DURATION`; `None` when off.
    pub fn max_duration(&self) -> Option<Duration> {
        (self.max_duration_secs > 0).then(|| Duration::from_secs(self.max_duration_secs))
    }

    pub fn drain_delay(&self) -> Duration {
        Duration::from_millis(self.drain_delay_ms)
    }

    /// `public_url` checked: an `http` or `https` URL with a host and
    /// nothing after it, returned without a trailing slash.
    pub fn checked_public_url(&self) -> Result<Option<String>, ConfigError> {
        let Some(url) = &self.public_url else {
            return Ok(None);
        };
        let refuse = || ConfigError::NotAccepted {
            key: "server.public_url",
            value: url.clone(),
            accepted:
                "an http:// or https:// URL with a host and no path, such as `https://example.com`",
        };
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(refuse)?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if !is_authority(authority) {
            return Err(refuse());
        }
        Ok(Some(url.strip_suffix('/').unwrap_or(url).to_string()))
    }

    /// Whether `host` (a `Host` header without its port, lower case) is one
    /// this server answers.
    pub fn allows_host(&self, host: &str) -> bool {
        self.allowed_hosts.is_empty()
            || self
                .allowed_hosts
                .iter()
                .any(|allowed| match allowed.strip_prefix("*.") {
                    Some(domain) => host
                        .strip_suffix(domain)
                        .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
                    None => allowed.eq_ignore_ascii_case(host),
                })
    }
}

/// A URL authority as a `Host` header carries it: a host name, an IPv4
/// address or a bracketed IPv6 address, and an optional port. Nothing that
/// could end the authority early (`/`, `?`, `#`, `@`), no spaces, no
/// controls.
///
/// ```
/// use trellis_config::is_authority;
///
/// assert!(is_authority("example.com:8080"));
/// assert!(is_authority("[::1]:3000"));
/// assert!(!is_authority("evil/x"));
/// assert!(!is_authority("a b"));
/// assert!(!is_authority("localhost:99999"));
/// assert!(!is_authority(""));
/// ```
pub fn is_authority(authority: &str) -> bool {
    is_authority_bytes(authority.as_bytes())
}

/// [`is_authority`] on the bytes of a header value, as sent: one pass and
/// no allocation, since every request's `Host` is checked.
pub fn is_authority_bytes(authority: &[u8]) -> bool {
    let (host, port) = match authority.strip_prefix(b"[") {
        Some(v6) => {
            let Some(end) = v6.iter().position(|&b| b == b']') else {
                return false;
            };
            let is_v6 = std::str::from_utf8(&v6[..end])
                .is_ok_and(|address| address.parse::<std::net::Ipv6Addr>().is_ok());
            match (&v6[end + 1..], is_v6) {
                (_, false) => return false,
                (b"", true) => return true,
                (rest, true) => (&b"v6"[..], rest.strip_prefix(b":").unwrap_or(b"x")),
            }
        }
        None => match authority.iter().rposition(|&b| b == b':') {
            Some(colon) => (&authority[..colon], &authority[colon + 1..]),
            None => (authority, &b"0"[..]),
        },
    };
    !host.is_empty()
        && host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        && !port.is_empty()
        && port.len() <= 5
        && port.iter().all(u8::is_ascii_digit)
        && port.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')) <= u32::from(u16::MAX)
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

/// A year: Next.js's default `expireTime`, and its "forever".
pub const ONE_YEAR_SECS: u64 = 31_536_000;

/// `[cache] store` for a cache of this instance's own.
pub const MEMORY_STORE: &str = "memory";

/// `[cache] key_prefix` unless set: the server adds the app's name to it.
pub const DEFAULT_KEY_PREFIX: &str = "trellis";

/// `[cache]`: the revalidation cache's settings. `Debug` hides the Redis
/// password and the secret.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Bytes of cached responses held, across all routes.
    pub budget_bytes: u64,
    /// How often the timer refreshes requested entries whose period is over;
    /// `0` switches the timer off (regeneration on request only, as Next.js).
    pub tick_ms: u64,
    /// Seconds after which an entry nobody asks for leaves the cache.
    pub time_to_idle_secs: u64,
    /// `"memory"` (each instance its own cache), or a Redis URL such as
    /// `"redis://127.0.0.1:6379/0"`: a second tier shared by every instance
    /// on it, with one regeneration per key and revalidation reaching all.
    pub store: String,
    /// Prefix of every Redis key, so instances of different apps can share
    /// one Redis. Left at [`DEFAULT_KEY_PREFIX`], the app's crate name is
    /// added (`trellis:shop`): two apps never share keys by default.
    pub key_prefix: String,
    /// The longest a request waits on Redis before going on without it.
    pub shared_timeout_ms: u64,
    /// Seconds an entry stays in Redis past its `revalidate` period (entries
    /// without one stay a day), so Redis never grows without bound.
    pub shared_grace_secs: u64,
    /// How long one instance's regeneration lock on a key lasts if it is
    /// never released (its holder died).
    pub shared_lock_ms: u64,
    /// Bytes Redis may use (its `used_memory`, every key in it counted)
    /// before no more entries are written to it: they stay in each
    /// instance's memory until Redis has room. Locks and revalidations
    /// still go.
    pub shared_budget_bytes: u64,
    /// Seconds a 404 or 410 stays fresh at most, whatever the route's
    /// period (a route's `NEGATIVE_TTL` overrides it).
    pub negative_ttl_secs: u64,
    /// Seconds after which an entry is never served stale: the request
    /// waits for a fresh one (Next.js's `expireTime`; a route's `EXPIRE`
    /// overrides it).
    pub expire_secs: u64,
    /// Signs every entry written to Redis (HMAC-SHA256), and refuses any
    /// read back without a good signature: set it, the same on every
    /// instance, when anything else can write to the Redis. Never printed.
    pub secret: Option<String>,
    /// Milliseconds a request waits for another request's regeneration of
    /// the same key; past it, it runs its own and stores nothing (as
    /// nginx's `proxy_cache_lock_timeout`).
    pub lock_timeout_ms: u64,
    /// `[cache.profiles]`: the app's own `cacheLife` profiles, by name, for
    /// `ctx.cache_life("blog")` and `revalidate_tag(tag, "blog")`. A name
    /// of a preset (`hours`) replaces the preset.
    pub profiles: BTreeMap<String, CacheLife>,
}

impl CacheConfig {
    /// The profile called `name`: the app's own, else Next.js's preset.
    ///
    /// ```
    /// use trellis_config::{CacheConfig, CacheLife};
    ///
    /// let mut cache = CacheConfig::default();
    /// cache.profiles.insert("blog".into(), CacheLife::default().with_revalidate(900));
    /// assert_eq!(cache.profile("blog").unwrap().revalidate, Some(900));
    /// assert_eq!(cache.profile("max").unwrap().revalidate, Some(2_592_000));
    /// assert!(cache.profile("nope").is_none());
    /// ```
    pub fn profile(&self, name: &str) -> Option<CacheLife> {
        self.profiles
            .get(name)
            .copied()
            .or_else(|| CacheLife::preset(name))
    }

    /// The timer's period, or `None` when it is off.
    pub fn tick(&self) -> Option<Duration> {
        (self.tick_ms > 0).then(|| Duration::from_millis(self.tick_ms))
    }

    pub fn time_to_idle(&self) -> Duration {
        Duration::from_secs(self.time_to_idle_secs)
    }

    /// The Redis URL when the cache is shared, `None` for memory only.
    pub fn redis_url(&self) -> Option<&str> {
        (self.store != MEMORY_STORE).then_some(self.store.as_str())
    }

    pub fn shared_timeout(&self) -> Duration {
        Duration::from_millis(self.shared_timeout_ms)
    }

    pub fn shared_grace(&self) -> Duration {
        Duration::from_secs(self.shared_grace_secs)
    }

    pub fn shared_lock(&self) -> Duration {
        Duration::from_millis(self.shared_lock_ms)
    }

    pub fn negative_ttl(&self) -> Duration {
        Duration::from_secs(self.negative_ttl_secs)
    }

    pub fn expire(&self) -> Duration {
        Duration::from_secs(self.expire_secs)
    }

    /// An empty secret would sign with a key anyone knows: refused, saying
    /// what to write. Each profile of `[cache.profiles]` must have a plain
    /// name and a usable lifetime.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.secret.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return Err(ConfigError::Invalid {
                key: "cache.secret".to_string(),
                problem: "is empty: set a long random value (`openssl rand -hex 32`), \
                          the same on every instance, or remove the key"
                    .to_string(),
            });
        }
        for (name, life) in &self.profiles {
            let problem = match is_profile_name(name) {
                false => Some("a profile name is letters, digits, `-` and `_`"),
                true => life.problem(),
            };
            if let Some(problem) = problem {
                return Err(ConfigError::Invalid {
                    key: format!("cache.profiles.{name}"),
                    problem: problem.to_string(),
                });
            }
        }
        Ok(())
    }

    pub fn lock_timeout(&self) -> Duration {
        Duration::from_millis(self.lock_timeout_ms)
    }
}

impl fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheConfig")
            .field("budget_bytes", &self.budget_bytes)
            .field("tick_ms", &self.tick_ms)
            .field("time_to_idle_secs", &self.time_to_idle_secs)
            .field("store", &redact_url(&self.store))
            .field("key_prefix", &self.key_prefix)
            .field("shared_timeout_ms", &self.shared_timeout_ms)
            .field("shared_grace_secs", &self.shared_grace_secs)
            .field("shared_lock_ms", &self.shared_lock_ms)
            .field("shared_budget_bytes", &self.shared_budget_bytes)
            .field("secret", &self.secret.as_ref().map(|_| REDACTED))
            .field("lock_timeout_ms", &self.lock_timeout_ms)
            .field("profiles", &self.profiles)
            .finish()
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            budget_bytes: 256 * 1024 * 1024,
            tick_ms: 1000,
            time_to_idle_secs: 600,
            store: MEMORY_STORE.to_string(),
            key_prefix: DEFAULT_KEY_PREFIX.to_string(),
            shared_timeout_ms: 50,
            shared_grace_secs: 300,
            shared_lock_ms: 5000,
            shared_budget_bytes: 256 * 1024 * 1024,
            negative_ttl_secs: 10,
            expire_secs: ONE_YEAR_SECS,
            secret: None,
            // nginx's default for `proxy_cache_lock_timeout`.
            lock_timeout_ms: 5000,
            profiles: BTreeMap::new(),
        }
    }
}

/// `[admin]`: the engine's own endpoints. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Serve Prometheus metrics at `metrics_path`.
    pub metrics: bool,
    pub metrics_path: String,
    /// Serve the metrics to anyone, without the token: for a scraper that
    /// cannot send one. Off by default: the metrics name every route.
    pub metrics_public: bool,
    /// The bearer token every call to `/_trellis/revalidate` (and to the
    /// metrics, unless `metrics_public`) must send, from loopback too:
    /// behind a reverse proxy on the same host, every client is loopback.
    /// Without one, those endpoints refuse every call.
    pub token: Option<String>,
    /// Upper bounds of `http_server_request_duration_seconds`'s buckets, in
    /// microseconds, ascending.
    pub duration_buckets_us: Vec<u64>,
    /// The secret draft mode's bypass cookie is signed with. Instances
    /// behind one load balancer need the same; without one, each process
    /// makes its own at start-up, and its cookies die with it.
    pub draft_mode_secret: Option<String>,
}

/// The default buckets: from 50 µs (a cache hit) to 10 s.
pub const DEFAULT_DURATION_BUCKETS_US: [u64; 16] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 10_000_000,
];

impl AdminConfig {
    /// An empty token would admit anyone sending `Authorization: Bearer `
    /// with nothing after it: refused, saying what to write.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ConfigError::Invalid {
                key: "admin.token".to_string(),
                problem: "is empty: set a long random value (`openssl rand -hex 32`), \
                          or remove the key to keep the admin endpoints closed"
                    .to_string(),
            });
        }
        let buckets = &self.duration_buckets_us;
        if buckets.is_empty() || buckets.contains(&0) || buckets.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ConfigError::Invalid {
                key: "admin.duration_buckets_us".to_string(),
                problem: "must list bucket bounds in microseconds, above 0 and ascending, \
                          such as [100, 1000, 10000]"
                    .to_string(),
            });
        }
        if self
            .draft_mode_secret
            .as_deref()
            .is_some_and(|s| s.trim().len() < 16)
        {
            return Err(ConfigError::Invalid {
                key: "admin.draft_mode_secret".to_string(),
                problem: "is shorter than 16 characters: set a long random value \
                          (`openssl rand -hex 32`), or remove the key"
                    .to_string(),
            });
        }
        Ok(())
    }
}

impl fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminConfig")
            .field("metrics", &self.metrics)
            .field("metrics_path", &self.metrics_path)
            .field("metrics_public", &self.metrics_public)
            .field("token", &self.token.as_ref().map(|_| REDACTED))
            .field("duration_buckets_us", &self.duration_buckets_us)
            .field(
                "draft_mode_secret",
                &self.draft_mode_secret.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            metrics: true,
            metrics_path: "/_trellis/metrics".to_string(),
            metrics_public: false,
            token: None,
            duration_buckets_us: DEFAULT_DURATION_BUCKETS_US.to_vec(),
            draft_mode_secret: None,
        }
    }
}
