//! `SharedStore`: the tier's face, and each call it makes to Redis, on the
//! Redis thread and within the deadline.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisResult};
use tokio::runtime::Handle;
use trellis_config::{redact_url, scrub_url};

use super::budget::ENTRY_OVERHEAD;
use super::entry::{decode_entry, encode_entry, EntryFacts, SharedEntry};
use super::error::SharedStoreError;
use super::events::SharedEvent;
use super::health::Access;
use super::metrics;
use super::options::SharedOptions;
use super::state::{instance_id, TierState};
use crate::clock::unix_millis;
use crate::entry::{CachedResponse, Lifetime};

/// How long entries of segments without a `revalidate` period stay.
const UNTIMED_TTL: Duration = Duration::from_secs(24 * 3600);

/// The outcome of asking for a key's regeneration lock.
#[derive(Debug)]
pub enum LockOutcome {
    /// This instance regenerates; the token releases the lock.
    Acquired(LockToken),
    /// Another instance is regenerating the key.
    HeldElsewhere,
    /// Redis did not answer or refused, or is at its budget: regenerate
    /// locally.
    Unavailable,
}

/// Proof of holding a key's lock; only its holder's token releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockToken(String);

/// One regenerated entry to write, with the lock to release after it.
pub(crate) struct SharedWrite {
    pub key: String,
    /// The path whose set the key joins; data made for no path has none.
    pub path: Option<String>,
    pub response: CachedResponse,
    pub made_unix_ms: u64,
    pub ttl: Duration,
    /// How long it is fresh and served, as the instances adopting it keep.
    pub lifetime: Lifetime,
    /// Every tag it carries, the engine's own included.
    pub tags: Vec<String>,
    pub lock: Option<LockToken>,
}

/// The Redis tier. Cheap to share: clone the `Arc`.
pub struct SharedStore {
    inner: Arc<TierState>,
    runtime: Handle,
    /// Dropped with the store, which ends the Redis thread.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl SharedStore {
    /// Starts the Redis thread. Connecting waits for the first call, so an
    /// instance starts (and serves from memory) while Redis is down.
    ///
    /// An error names the URL with its password hidden. The redis crate's
    /// own text for a URL it cannot use is fixed (`Redis URL did not parse -
    /// InvalidClientConfig`) and never echoes the URL, but it is scrubbed of
    /// the URL and password all the same, should a later version echo.
    pub fn start(options: SharedOptions) -> Result<Arc<Self>, SharedStoreError> {
        let client = redis::Client::open(options.url.as_str()).map_err(|e| {
            let url = &options.url;
            SharedStoreError::Url {
                url: redact_url(url),
                reason: scrub_url(&e.to_string(), url),
            }
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
                        let _ = handle_sender.send(Err(SharedStoreError::Thread(error)));
                        return;
                    }
                };
                let _ = handle_sender.send(Ok(runtime.handle().clone()));
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })
            .map_err(SharedStoreError::Thread)?;
        let runtime = handle_receiver
            .recv()
            .map_err(|_| SharedStoreError::ThreadGone)??;
        Ok(Arc::new(SharedStore {
            inner: Arc::new(TierState::new(client, options)),
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

    /// The entry for `key`, if Redis holds one, answers in time, and the
    /// entry passes the checks of a new one: signed with the secret, if
    /// set, readable, and not made in the future. A refused entry is a
    /// miss, counted and logged.
    pub(crate) async fn get(&self, key: &str) -> Option<SharedEntry> {
        let entry_key = self.inner.key("e", key);
        let read_key = entry_key.clone();
        let fields: HashMap<String, Vec<u8>> = self
            .call(Access::Read, key, move |mut conn| async move {
                conn.hgetall(read_key).await
            })
            .await?;
        if fields.is_empty() {
            return None;
        }
        let signer = self.inner.signer.as_ref();
        decode_entry(&entry_key, &fields, signer, unix_millis())
            .inspect_err(|refusal| self.inner.refusals.refused(key, *refusal))
            .ok()
    }

    /// Asks for the right to regenerate `key` across all instances. With
    /// Redis at its budget there is none to ask: the entry will not be
    /// written, and nobody should wait for it.
    pub(crate) async fn try_lock(&self, key: &str) -> LockOutcome {
        if !self.inner.budget.has_room() {
            return LockOutcome::Unavailable;
        }
        let lock_key = self.inner.key("l", key);
        let token = format!("{}:{}", self.inner.origin, instance_id());
        let ttl = self.inner.options.lock_ttl.as_millis() as u64;
        let value = token.clone();
        let set: Option<Option<String>> = self
            .call(Access::Write, key, move |mut conn| async move {
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
        self.detached(key, async move {
            let mut conn = inner.connection().await?;
            inner.release(&mut conn, lock_key, token.0).await
        });
    }

    /// Writes a regenerated entry, its tag and path memberships, and
    /// releases its lock, in one script; the caller does not wait. With
    /// Redis at its budget the entry is not written, and the lock is
    /// released all the same.
    pub(crate) fn put_detached(&self, write: SharedWrite) {
        let inner = self.inner.clone();
        let key = write.key.clone();
        self.detached(&key, async move {
            let mut conn = inner.connection().await?;
            let entry_key = inner.key("e", &write.key);
            let lock_key = inner.key("l", &write.key);
            let size = write_size(&write, &entry_key);
            let token = write.lock.map(|t| t.0).unwrap_or_default();
            if !inner.budget.admit(&mut conn, size).await {
                return match token.is_empty() {
                    true => Ok(()),
                    false => inner.release(&mut conn, lock_key, token).await,
                };
            }
            let facts = EntryFacts {
                made_unix_ms: write.made_unix_ms,
                lifetime: write.lifetime,
                tags: &write.tags,
            };
            let encoded = encode_entry(&entry_key, &write.response, &facts, inner.signer.as_ref());
            let mut invocation = inner.scripts.put.prepare_invoke();
            invocation.key(&entry_key).key(lock_key);
            if let Some(path) = &write.path {
                invocation.key(inner.key("p", path));
            }
            for tag in &write.tags {
                invocation.key(inner.key("t", tag));
            }
            invocation
                .arg(write.ttl.as_millis().max(1) as u64)
                .arg(encoded.status)
                .arg(encoded.made)
                .arg(encoded.headers)
                .arg(write.response.body.as_ref())
                .arg(token)
                .arg(encoded.signature.unwrap_or_default())
                .arg(encoded.life)
                .arg(encoded.tags);
            invocation.invoke_async::<i64>(&mut conn).await.map(drop)
        });
    }

    /// `revalidate_tag` for every instance: marks the tag's entries in Redis
    /// stale, bumps its version, and tells the other instances. True when
    /// Redis took it; false when it is kept, to send when Redis returns.
    pub async fn revalidate_tag(&self, tag: &str) -> bool {
        self.revalidate(SharedEvent::Tag(tag.to_string())).await
    }

    /// `revalidate_tag(tag, { expire: 0 })` for every instance: marks the
    /// tag's entries in Redis for regeneration, and tells the others, as
    /// for a stale tag.
    pub async fn expire_tag(&self, tag: &str) -> bool {
        self.revalidate(SharedEvent::ExpiredTag(tag.to_string()))
            .await
    }

    /// `revalidate_path` for every instance: marks the path's entries in
    /// Redis for regeneration, bumps the paths version, and tells the
    /// others. True when Redis took it, as for tags.
    pub async fn revalidate_path(&self, path: &str) -> bool {
        self.revalidate(SharedEvent::Path(path.to_string())).await
    }

    /// A revalidation Redis cannot take now is kept, and sent when Redis
    /// answers again, so the other instances never miss it.
    async fn revalidate(&self, event: SharedEvent) -> bool {
        let inner = self.inner.clone();
        let sent = event.clone();
        let name = match &event {
            SharedEvent::Tag(name) | SharedEvent::ExpiredTag(name) | SharedEvent::Path(name) => {
                name.as_str()
            }
            SharedEvent::AllPaths => "",
        };
        let reached = self
            .call(Access::Write, name, move |mut conn| async move {
                inner.publish(&mut conn, &sent).await
            })
            .await
            .is_some();
        if !reached {
            self.inner.pending.keep(event);
        }
        reached
    }

    /// Whether Redis answered the last call.
    pub fn is_up(&self) -> bool {
        self.inner.health.is_up()
    }

    /// The tier's health, in Prometheus text.
    pub fn render_metrics(&self) -> String {
        metrics::render(&self.inner)
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

    /// Runs `op` on `key` on the Redis thread within the deadline; `None`
    /// when Redis is down or too slow, or refused this key.
    async fn call<T, F, Fut>(&self, access: Access, key: &str, op: F) -> Option<T>
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
                health.call_failed(access, key, &error);
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

    /// Runs a write on `key` on the Redis thread without anyone waiting
    /// for it.
    fn detached(&self, key: &str, op: impl Future<Output = RedisResult<()>> + Send + 'static) {
        if !self.inner.health.should_try() {
            return;
        }
        let inner = self.inner.clone();
        let timeout = self.inner.options.timeout;
        let key = key.to_string();
        self.runtime.spawn(async move {
            match tokio::time::timeout(timeout, op).await {
                Ok(Ok(())) => inner.health.succeeded(),
                Ok(Err(error)) => inner.health.call_failed(Access::Write, &key, &error),
                Err(_) => inner.health.failed("no answer within the timeout"),
            }
        });
    }
}

/// What a write adds to Redis, about: the response, its lifetime and tags,
/// the entry's key in the keyspace, its path set and each tag set, and
/// Redis's overhead.
fn write_size(write: &SharedWrite, entry_key: &str) -> u64 {
    let sets = usize::from(write.path.is_some()) + write.tags.len();
    let keys = entry_key.len() * (1 + sets);
    // `life` is two numbers; `tags`, each and a line break.
    let facts = 24 + write.tags.iter().map(|tag| tag.len() + 1).sum::<usize>();
    // As the entry's hash holds them: each header as `name: value\r\n`.
    let headers: usize = write
        .response
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (write.response.body.len() + headers + keys + facts) as u64 + ENTRY_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_redis_cannot_use_is_named_without_its_password_nor_the_secret() {
        let options = SharedOptions {
            url: "redis://user:hunter2@cache:notaport/0".into(),
            key_prefix: "t".into(),
            timeout: Duration::from_millis(10),
            grace: Duration::ZERO,
            lock_ttl: Duration::from_millis(10),
            tags: vec![],
            budget_bytes: 1 << 20,
            secret: Some("s3cr3t".into()),
        };
        let error = SharedStore::start(options.clone())
            .err()
            .expect("an unusable URL")
            .to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(
            error.starts_with("cache store `redis://user:***@cache:notaport/0`: "),
            "{error}"
        );
        let debug = format!("{options:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cr3t"),
            "{debug}"
        );
    }
}
