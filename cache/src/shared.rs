//! `SharedStore`: the second tier, on Redis, shared by every instance that
//! points at the same Redis and key prefix.
//!
//! Each instance keeps its memory tier (the [`Store`](crate::Store)) in
//! front: a hit there costs no round trip. This tier is read on a memory
//! miss and before a stale entry is regenerated, written with every
//! regenerated entry, and holds what makes several instances act as one:
//! a lock per key so one instance regenerates it, tag and path membership,
//! invalidation versions, and a pub/sub channel that carries
//! `revalidate_tag` and `revalidate_path` to every instance.
//!
//! The client is the `redis` crate: the most used one, whose
//! `ConnectionManager` reconnects by itself after an outage, with async
//! pub/sub and Lua scripts on tokio, which is all this tier needs.
//!
//! Redis runs on a thread of its own (a small tokio runtime), so a slow
//! Redis never stalls an HTTP worker's event loop. Every call has a short
//! deadline; when Redis fails, the caller goes on without it (serving and
//! regenerating from memory), the outage is logged once, counted, and one
//! call a second probes until Redis answers again.
//!
//! Keys, under the prefix `P`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `P:e:{key}` | hash | `status`, `made` (unix ms), `headers`, `body`, and `expired` / `invalidated` flags |
//! | `P:l:{key}` | string | the regeneration lock, with its holder's token |
//! | `P:t:{tag}` | set | the entry keys of the segments carrying the tag |
//! | `P:p:{path}` | set | the entry keys of a path (one per query, where keyed by query) |
//! | `P:v:tag:{tag}`, `P:v:paths` | counter | invalidation versions, for catching up |
//! | `P:events` | channel | `kind \t version \t origin \t name` |

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderName, HeaderValue, StatusCode};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, RedisResult, Script};
use tokio::runtime::Handle;
use tokio::sync::OnceCell;
use trellis_config::{redact_url, scrub_url};

use crate::entry::{CachedResponse, Lifetime};

/// How often a store that is down lets one call through to probe Redis.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// Revalidations kept for Redis during an outage, at most: a bound on
/// memory however long the outage.
const MAX_PENDING: usize = 10_000;
/// How long entries of segments without a `revalidate` period stay.
const UNTIMED_TTL: Duration = Duration::from_secs(24 * 3600);

/// How an instance reaches the shared tier. `Debug` hides the password.
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
            .finish()
    }
}

/// An entry as another instance (or this one) stored it.
#[derive(Debug, Clone)]
pub struct SharedEntry {
    pub response: CachedResponse,
    /// Wall-clock milliseconds since the epoch, comparable across machines.
    pub made_unix_ms: u64,
    /// `revalidate_tag` reached it: stale, whatever its age.
    pub expired: bool,
    /// `revalidate_path` reached it: regenerate before serving.
    pub invalidated: bool,
}

impl SharedEntry {
    /// How long ago it was made, by the wall clock instances share.
    pub fn age(&self) -> Duration {
        Duration::from_millis(unix_ms().saturating_sub(self.made_unix_ms))
    }
}

/// An invalidation made on another instance, to apply to the memory tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedEvent {
    Tag(String),
    Path(String),
    /// Path revalidations happened while this instance was not listening:
    /// which paths is not known, so every entry is revalidated.
    AllPaths,
}

/// The outcome of asking for a key's regeneration lock.
#[derive(Debug)]
pub enum LockOutcome {
    /// This instance regenerates; the token releases the lock.
    Acquired(LockToken),
    /// Another instance is regenerating the key.
    HeldElsewhere,
    /// Redis did not answer: regenerate locally.
    Unavailable,
}

/// Proof of holding a key's lock; only its holder's token releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockToken(String);

/// One regenerated entry to write, with the lock to release after it.
pub(crate) struct SharedWrite {
    pub key: String,
    pub path: String,
    pub response: CachedResponse,
    pub made_unix_ms: u64,
    pub ttl: Duration,
    pub tags: Vec<String>,
    pub lock: Option<LockToken>,
}

/// The Redis tier. Cheap to share: clone the `Arc`.
pub struct SharedStore {
    inner: Arc<Inner>,
    runtime: Handle,
    /// Dropped with the store, which ends the Redis thread.
    _stop: tokio::sync::oneshot::Sender<()>,
}

struct Inner {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    options: SharedOptions,
    /// Tells this instance's own events from its peers'.
    origin: String,
    health: Health,
    /// Invalidation versions seen, by version key.
    versions: Mutex<HashMap<String, i64>>,
    /// Revalidations made here while Redis was away, to send on its return.
    pending: Mutex<Vec<SharedEvent>>,
    scripts: Scripts,
}

struct Scripts {
    put: Script,
    unlock: Script,
    revalidate: Script,
}

impl SharedStore {
    /// Starts the Redis thread. Connecting waits for the first call, so an
    /// instance starts (and serves from memory) while Redis is down.
    ///
    /// An error names the URL with its password hidden. The redis crate's
    /// own text for a URL it cannot use is fixed (`Redis URL did not parse -
    /// InvalidClientConfig`) and never echoes the URL, but it is scrubbed of
    /// the URL and password all the same, should a later version echo.
    pub fn start(options: SharedOptions) -> Result<Arc<Self>, String> {
        let client = redis::Client::open(options.url.as_str()).map_err(|e| {
            let url = &options.url;
            format!(
                "cache store `{}`: {}",
                redact_url(url),
                scrub_url(&e.to_string(), url)
            )
        })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (handle_sender, handle_receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("trellis-redis".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = handle_sender.send(Err(error.to_string()));
                        return;
                    }
                };
                let _ = handle_sender.send(Ok(runtime.handle().clone()));
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| format!("cannot start the Redis thread: {e}"))?;
        let runtime = handle_receiver
            .recv()
            .map_err(|e| format!("the Redis thread did not start: {e}"))??;
        Ok(Arc::new(SharedStore {
            inner: Arc::new(Inner::new(client, options)),
            runtime,
            _stop: stop,
        }))
    }

    /// Listens for peers' invalidations for as long as the store lives,
    /// reconnecting after outages and catching up on what it missed.
    pub fn subscribe(&self, deliver: impl Fn(SharedEvent) + Send + Sync + 'static) {
        let inner = self.inner.clone();
        self.runtime
            .spawn(async move { inner.listen(&deliver).await });
    }

    /// The entry for `key`, if Redis holds one and answers in time.
    pub async fn get(&self, key: &str) -> Option<SharedEntry> {
        let entry_key = self.inner.key("e", key);
        let fields: HashMap<String, Vec<u8>> = self
            .call(move |mut conn| async move { conn.hgetall(entry_key).await })
            .await?;
        decode_entry(&fields)
    }

    /// Asks for the right to regenerate `key` across all instances.
    pub async fn try_lock(&self, key: &str) -> LockOutcome {
        let lock_key = self.inner.key("l", key);
        let token = format!("{}:{}", self.inner.origin, instance_id());
        let ttl = self.inner.options.lock_ttl.as_millis() as u64;
        let value = token.clone();
        let set: Option<Option<String>> = self
            .call(move |mut conn| async move {
                redis::cmd("SET")
                    .arg(lock_key)
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl.max(1))
                    .query_async(&mut conn)
                    .await
            })
            .await;
        match set {
            Some(Some(_)) => LockOutcome::Acquired(LockToken(token)),
            Some(None) => LockOutcome::HeldElsewhere,
            None => LockOutcome::Unavailable,
        }
    }

    /// Releases a lock without writing (the regeneration was abandoned).
    pub(crate) fn unlock_detached(&self, key: &str, token: LockToken) {
        let lock_key = self.inner.key("l", key);
        let inner = self.inner.clone();
        self.detached(async move {
            let mut conn = inner.connection().await?;
            inner
                .scripts
                .unlock
                .key(lock_key)
                .arg(token.0)
                .invoke_async::<i64>(&mut conn)
                .await
                .map(drop)
        });
    }

    /// Writes a regenerated entry, its tag and path memberships, and
    /// releases its lock, in one script; the caller does not wait.
    pub(crate) fn put_detached(&self, write: SharedWrite) {
        let inner = self.inner.clone();
        self.detached(async move {
            let mut conn = inner.connection().await?;
            let mut invocation = inner.scripts.put.prepare_invoke();
            invocation
                .key(inner.key("e", &write.key))
                .key(inner.key("l", &write.key))
                .key(inner.key("p", &write.path));
            for tag in &write.tags {
                invocation.key(inner.key("t", tag));
            }
            invocation
                .arg(write.ttl.as_millis().max(1) as u64)
                .arg(write.response.status.as_u16())
                .arg(write.made_unix_ms)
                .arg(encode_headers(&write.response.headers))
                .arg(write.response.body.as_ref())
                .arg(write.lock.map(|t| t.0).unwrap_or_default());
            invocation.invoke_async::<i64>(&mut conn).await.map(drop)
        });
    }

    /// `revalidate_tag` for every instance: marks the tag's entries in Redis
    /// stale, bumps its version, and tells the other instances.
    pub async fn revalidate_tag(&self, tag: &str) {
        self.revalidate(SharedEvent::Tag(tag.to_string())).await;
    }

    /// `revalidate_path` for every instance: marks the path's entries in
    /// Redis for regeneration, bumps the paths version, and tells the others.
    pub async fn revalidate_path(&self, path: &str) {
        self.revalidate(SharedEvent::Path(path.to_string())).await;
    }

    /// A revalidation Redis cannot take now is kept, and sent when Redis
    /// answers again, so the other instances never miss it.
    async fn revalidate(&self, event: SharedEvent) {
        let inner = self.inner.clone();
        let sent = event.clone();
        let done = self
            .call(move |mut conn| async move { inner.publish(&mut conn, &sent).await })
            .await;
        if done.is_none() {
            self.inner.keep_pending(event);
        }
    }

    /// Whether Redis answered the last call.
    pub fn is_up(&self) -> bool {
        !self.inner.health.down.load(Ordering::Relaxed)
    }

    /// The tier's health, in Prometheus text.
    pub fn render_metrics(&self) -> String {
        let health = &self.inner.health;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP trellis_shared_store_up Whether Redis answered the last call.\n\
             # TYPE trellis_shared_store_up gauge\ntrellis_shared_store_up {}\n\
             # HELP trellis_shared_store_errors_total Redis calls that failed or timed out.\n\
             # TYPE trellis_shared_store_errors_total counter\ntrellis_shared_store_errors_total {}",
            u8::from(self.is_up()),
            health.errors.load(Ordering::Relaxed),
        );
        out
    }

    /// The TTL in Redis of an entry with this lifetime.
    /// Its period and the grace after it, never past its `expire`.
    pub(crate) fn ttl_for(&self, lifetime: Lifetime) -> Duration {
        lifetime
            .revalidate
            .map_or(UNTIMED_TTL, |period| period + self.inner.options.grace)
            .min(lifetime.expire)
    }

    /// The longest a request waits for another instance's regeneration.
    pub(crate) fn lock_ttl(&self) -> Duration {
        self.inner.options.lock_ttl
    }

    /// Runs `op` on the Redis thread within the deadline; `None` when Redis
    /// is down, failed or was too slow.
    async fn call<T, F, Fut>(&self, op: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let health = &self.inner.health;
        if !health.should_try() {
            return None;
        }
        let inner = self.inner.clone();
        let mut task = self.runtime.spawn(async move {
            let conn = inner.connection().await?;
            op(conn).await
        });
        let outcome = tokio::time::timeout(self.inner.options.timeout, &mut task).await;
        match outcome {
            Ok(Ok(Ok(value))) => {
                health.succeeded();
                Some(value)
            }
            Ok(Ok(Err(error))) => {
                health.failed(&error.to_string());
                None
            }
            Ok(Err(error)) => {
                health.failed(&error.to_string());
                None
            }
            Err(_) => {
                task.abort();
                health.failed("no answer within the timeout");
                None
            }
        }
    }

    /// Runs a write on the Redis thread without anyone waiting for it.
    fn detached(&self, op: impl Future<Output = RedisResult<()>> + Send + 'static) {
        if !self.inner.health.should_try() {
            return;
        }
        let inner = self.inner.clone();
        let timeout = self.inner.options.timeout;
        self.runtime.spawn(async move {
            match tokio::time::timeout(timeout, op).await {
                Ok(Ok(())) => inner.health.succeeded(),
                Ok(Err(error)) => inner.health.failed(&error.to_string()),
                Err(_) => inner.health.failed("no answer within the timeout"),
            }
        });
    }
}

impl Inner {
    fn new(client: redis::Client, options: SharedOptions) -> Self {
        Inner {
            client,
            connection: OnceCell::new(),
            origin: instance_id(),
            health: Health::default(),
            versions: Mutex::default(),
            pending: Mutex::default(),
            scripts: Scripts {
                put: Script::new(PUT_SCRIPT),
                unlock: Script::new(UNLOCK_SCRIPT),
                revalidate: Script::new(REVALIDATE_SCRIPT),
            },
            options,
        }
    }

    fn key(&self, kind: &str, name: &str) -> String {
        format!("{}:{kind}:{name}", self.options.key_prefix)
    }

    fn channel(&self) -> String {
        format!("{}:events", self.options.key_prefix)
    }

    async fn connection(&self) -> RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.options.timeout))
            .set_response_timeout(Some(self.options.timeout))
            .set_number_of_retries(1);
        self.connection
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }

    /// Flags the entries in Redis, bumps the version, and publishes.
    async fn publish(&self, conn: &mut ConnectionManager, event: &SharedEvent) -> RedisResult<()> {
        let prefix = &self.options.key_prefix;
        let (kind, name, set, version_key, flag) = match event {
            SharedEvent::Tag(tag) => ("tag", tag, "t", format!("{prefix}:v:tag:{tag}"), "expired"),
            SharedEvent::Path(path) => (
                "path",
                path,
                "p",
                format!("{prefix}:v:paths"),
                "invalidated",
            ),
            SharedEvent::AllPaths => return Ok(()),
        };
        let version: i64 = self
            .scripts
            .revalidate
            .key(self.key(set, name))
            .key(&version_key)
            .arg(flag)
            .arg(self.channel())
            .arg(kind)
            .arg(&self.origin)
            .arg(name)
            .invoke_async(conn)
            .await?;
        self.saw_version(&version_key, version);
        Ok(())
    }

    fn keep_pending(&self, event: SharedEvent) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.contains(&event) {
            return;
        }
        if pending.len() == MAX_PENDING {
            tracing::warn!(
                dropped = ?pending[0],
                "too many revalidations kept for Redis; dropping the oldest"
            );
            pending.remove(0);
        }
        pending.push(event);
    }

    /// Sends the revalidations kept while Redis was away.
    async fn send_pending(&self) {
        let events = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if events.is_empty() {
            return;
        }
        let Ok(mut conn) = self.connection().await else {
            events.into_iter().for_each(|e| self.keep_pending(e));
            return;
        };
        for event in events {
            if self.publish(&mut conn, &event).await.is_err() {
                self.keep_pending(event);
            }
        }
    }

    /// Records a version seen; true when it is newer than the last one.
    fn saw_version(&self, key: &str, version: i64) -> bool {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        let known = versions.entry(key.to_string()).or_insert(version);
        let newer = version > *known;
        *known = (*known).max(version);
        newer
    }

    /// Subscribes, catches up, delivers peers' events until the connection
    /// drops, and starts over.
    async fn listen(&self, deliver: &(impl Fn(SharedEvent) + Send + Sync)) {
        loop {
            let connected = tokio::time::timeout(PROBE_INTERVAL, self.client.get_async_pubsub());
            match connected.await {
                Ok(Ok(mut pubsub)) => {
                    if pubsub.subscribe(self.channel()).await.is_ok() {
                        self.send_pending().await;
                        self.catch_up(deliver).await;
                        let mut messages = pubsub.on_message();
                        let mut retry = tokio::time::interval(PROBE_INTERVAL);
                        loop {
                            tokio::select! {
                                message = messages.next() => match message {
                                    Some(message) => {
                                        if let Ok(text) = message.get_payload::<String>() {
                                            self.receive(&text, deliver);
                                        }
                                    }
                                    None => break,
                                },
                                // A send that failed (the first command after
                                // an outage often does) is retried here.
                                _ = retry.tick() => self.send_pending().await,
                            }
                        }
                    }
                    // A dropped subscription alone is no outage: calls
                    // tell that; this only resubscribes.
                    tracing::debug!("Redis event subscription dropped; resubscribing");
                }
                Ok(Err(error)) => self.health.failed(&error.to_string()),
                Err(_) => self.health.failed("no answer within the timeout"),
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    }

    fn receive(&self, text: &str, deliver: &impl Fn(SharedEvent)) {
        let mut fields = text.splitn(4, '\t');
        let (Some(kind), Some(version), Some(origin), Some(name)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return;
        };
        let Ok(version) = version.parse::<i64>() else {
            return;
        };
        let (version_key, event) = match kind {
            "tag" => (
                format!("{}:v:tag:{name}", self.options.key_prefix),
                SharedEvent::Tag(name.to_string()),
            ),
            "path" => (
                format!("{}:v:paths", self.options.key_prefix),
                SharedEvent::Path(name.to_string()),
            ),
            _ => return,
        };
        self.saw_version(&version_key, version);
        if origin != self.origin {
            deliver(event);
        }
    }

    /// Compares the invalidation versions in Redis with those last seen and
    /// delivers what was missed while disconnected.
    async fn catch_up(&self, deliver: &impl Fn(SharedEvent)) {
        let Ok(mut conn) = self.connection().await else {
            return;
        };
        let prefix = &self.options.key_prefix;
        let mut keys: Vec<String> = self
            .options
            .tags
            .iter()
            .map(|tag| format!("{prefix}:v:tag:{tag}"))
            .collect();
        keys.push(format!("{prefix}:v:paths"));
        let versions: RedisResult<Vec<Option<i64>>> =
            redis::cmd("MGET").arg(&keys).query_async(&mut conn).await;
        let Ok(versions) = versions else {
            return;
        };
        for ((key, version), tag) in keys.iter().zip(versions).zip(
            self.options
                .tags
                .iter()
                .map(Some)
                .chain(std::iter::once(None)),
        ) {
            // A version never bumped is 0, so the first bump is news.
            if self.saw_version(key, version.unwrap_or(0)) {
                deliver(match tag {
                    Some(tag) => SharedEvent::Tag(tag.clone()),
                    None => SharedEvent::AllPaths,
                });
            }
        }
    }
}

/// Redis's state as calls found it. A failing Redis is logged once per
/// outage, and then only one call a second tries it.
#[derive(Default)]
struct Health {
    down: AtomicBool,
    errors: AtomicU64,
    /// Milliseconds since `epoch` of the last probe while down.
    last_probe_ms: AtomicU64,
    epoch: EpochInstant,
}

struct EpochInstant(Instant);

impl Default for EpochInstant {
    fn default() -> Self {
        EpochInstant(Instant::now())
    }
}

impl Health {
    fn should_try(&self) -> bool {
        if !self.down.load(Ordering::Relaxed) {
            return true;
        }
        let now = self.epoch.0.elapsed().as_millis() as u64;
        let last = self.last_probe_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= PROBE_INTERVAL.as_millis() as u64
            && self
                .last_probe_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    fn failed(&self, reason: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            self.last_probe_ms
                .store(self.epoch.0.elapsed().as_millis() as u64, Ordering::Relaxed);
            tracing::warn!(
                reason,
                "Redis is unavailable: serving and regenerating from this instance's memory until it returns"
            );
        }
    }

    fn succeeded(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis is back: the cache is shared again");
        }
    }
}

/// Wall-clock milliseconds since the epoch.
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A random enough id for this instance (and lock tokens): std's hasher
/// keys are random per process and per call.
fn instance_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// Headers as an HTTP/1.1 header block: our header values never hold CR or
/// LF, so the block is a faithful, binary-safe encoding.
fn encode_headers(headers: &[(HeaderName, HeaderValue)]) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in headers {
        block.extend_from_slice(name.as_str().as_bytes());
        block.extend_from_slice(b": ");
        block.extend_from_slice(value.as_bytes());
        block.extend_from_slice(b"\r\n");
    }
    block
}

fn decode_headers(block: &[u8]) -> Option<Vec<(HeaderName, HeaderValue)>> {
    block
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = HeaderName::from_bytes(&line[..colon]).ok()?;
            let value = line[colon + 1..]
                .strip_prefix(b" ")
                .unwrap_or(&line[colon + 1..]);
            Some((name, HeaderValue::from_bytes(value).ok()?))
        })
        .collect()
}

fn decode_entry(fields: &HashMap<String, Vec<u8>>) -> Option<SharedEntry> {
    let text = |name: &str| std::str::from_utf8(fields.get(name)?).ok();
    let status = StatusCode::from_u16(text("status")?.parse().ok()?).ok()?;
    Some(SharedEntry {
        response: CachedResponse {
            status,
            headers: decode_headers(fields.get("headers")?)?,
            body: Bytes::copy_from_slice(fields.get("body")?),
        },
        made_unix_ms: text("made")?.parse().ok()?,
        expired: fields.contains_key("expired"),
        invalidated: fields.contains_key("invalidated"),
    })
}

/// KEYS: entry, lock, path set, tag sets. ARGV: ttl ms, status, made,
/// headers, body, lock token (empty: none held).
const PUT_SCRIPT: &str = r"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'made', ARGV[3], 'headers', ARGV[4], 'body', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[1]) then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
  end
end
if ARGV[6] ~= '' and redis.call('GET', KEYS[2]) == ARGV[6] then
  redis.call('DEL', KEYS[2])
end
return 1
";

/// KEYS: lock. ARGV: token.
const UNLOCK_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// KEYS: member set, version counter. ARGV: flag, channel, kind, origin,
/// name. Flags every member still present, bumps the version, publishes.
const REVALIDATE_SCRIPT: &str = r"
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, ARGV[1], '1')
  end
end
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], ARGV[3] .. '\t' .. version .. '\t' .. ARGV[4] .. '\t' .. ARGV[5])
return version
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_survive_the_round_trip() {
        let headers = vec![
            (
                HeaderName::from_static("content-type"),
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("x-odd"),
                HeaderValue::from_bytes(b"a: b \xff").unwrap(),
            ),
        ];
        assert_eq!(decode_headers(&encode_headers(&headers)), Some(headers));
        assert_eq!(decode_headers(b""), Some(vec![]));
        assert_eq!(decode_headers(b"no colon\r\n"), None);
    }

    #[test]
    fn a_failing_redis_is_probed_once_a_second_until_it_answers() {
        let health = Health::default();
        assert!(health.should_try());
        health.failed("refused");
        health.failed("refused again");
        assert_eq!(health.errors.load(Ordering::Relaxed), 2);
        assert!(!health.should_try(), "no call right after an outage began");
        let later = Health {
            epoch: EpochInstant(Instant::now() - PROBE_INTERVAL),
            ..Health::default()
        };
        later.down.store(true, Ordering::Relaxed);
        assert!(later.should_try(), "one probe once the interval passed");
        assert!(!later.should_try(), "and only one");
        later.succeeded();
        assert!(later.should_try());
    }

    /// An instance's state for a Redis that is never reached.
    fn unreachable() -> Inner {
        let url = "redis://127.0.0.1:1/0";
        let options = SharedOptions {
            url: url.into(),
            key_prefix: "t".into(),
            timeout: Duration::from_millis(10),
            grace: Duration::ZERO,
            lock_ttl: Duration::from_millis(10),
            tags: vec![],
        };
        Inner::new(redis::Client::open(url).unwrap(), options)
    }

    #[test]
    fn a_url_redis_cannot_use_is_named_without_its_password() {
        let options = SharedOptions {
            url: "redis://user:hunter2@cache:notaport/0".into(),
            key_prefix: "t".into(),
            timeout: Duration::from_millis(10),
            grace: Duration::ZERO,
            lock_ttl: Duration::from_millis(10),
            tags: vec![],
        };
        let error = SharedStore::start(options.clone())
            .err()
            .expect("an unusable URL");
        assert!(!error.contains("hunter2"), "{error}");
        assert!(
            error.starts_with("cache store `redis://user:***@cache:notaport/0`: "),
            "{error}"
        );
        let debug = format!("{options:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn revalidations_kept_during_an_outage_are_deduplicated_and_bounded() {
        let inner = unreachable();
        inner.keep_pending(SharedEvent::Tag("posts".into()));
        inner.keep_pending(SharedEvent::Tag("posts".into()));
        assert_eq!(inner.pending.lock().unwrap().len(), 1);
        for i in 0..MAX_PENDING {
            inner.keep_pending(SharedEvent::Path(format!("/p/{i}")));
        }
        let pending = inner.pending.lock().unwrap();
        assert_eq!(pending.len(), MAX_PENDING);
        assert_eq!(
            pending[0],
            SharedEvent::Path("/p/0".into()),
            "the oldest went"
        );
    }

    #[test]
    fn a_version_is_news_only_when_it_moves_forward() {
        let inner = unreachable();
        assert!(!inner.saw_version("v", 0), "the first sight sets the mark");
        assert!(inner.saw_version("v", 2));
        assert!(!inner.saw_version("v", 1), "an older one (Redis restarted)");
        assert!(!inner.saw_version("v", 2));
    }

    #[test]
    fn an_entry_missing_a_field_is_no_entry() {
        let mut fields = HashMap::new();
        fields.insert("status".to_string(), b"200".to_vec());
        fields.insert("made".to_string(), b"1700000000000".to_vec());
        fields.insert("headers".to_string(), b"x-a: 1\r\n".to_vec());
        assert!(decode_entry(&fields).is_none());
        fields.insert("body".to_string(), b"{}".to_vec());
        let entry = decode_entry(&fields).unwrap();
        assert_eq!(entry.response.status, StatusCode::OK);
        assert!(!entry.expired && !entry.invalidated);
    }
}
