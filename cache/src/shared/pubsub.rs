//! Revalidations between instances: publishing one (flagging its entries
//! in Redis, bumping its version), sending those kept during an outage,
//! listening for peers', and catching up on what was missed while
//! disconnected.

use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use redis::RedisResult;

use trellis_config::IMPLICIT_TAG_PREFIX;

use super::events::SharedEvent;
use super::health::PROBE_INTERVAL;
use super::state::TierState;
use crate::clock::unix_millis;

impl TierState {
    /// Flags the entries in Redis, bumps the version, and publishes.
    pub(super) async fn publish(
        &self,
        conn: &mut ConnectionManager,
        event: &SharedEvent,
    ) -> RedisResult<()> {
        let (kind, name, set, flag) = match event {
            SharedEvent::Tag(tag) => ("tag", tag, "t", "expired"),
            SharedEvent::ExpiredTag(tag) => ("tag-now", tag, "t", "invalidated"),
            SharedEvent::Path(path) => ("path", path, "p", "invalidated"),
            SharedEvent::AllPaths => return Ok(()),
        };
        let version_key = self.version_key(kind, name);
        let mut invocation = self.scripts.revalidate.prepare_invoke();
        invocation.key(self.key(set, name));
        if let Some(version_key) = &version_key {
            invocation.key(version_key);
        }
        let version: i64 = invocation
            .arg(flag)
            .arg(self.channel())
            .arg(kind)
            .arg(&self.origin)
            .arg(name)
            .arg(unix_millis())
            .invoke_async(conn)
            .await?;
        if let Some(version_key) = &version_key {
            self.versions.saw(version_key, version);
        }
        Ok(())
    }

    /// The counter of revalidations of this `kind` (`tag`, `tag-now`,
    /// `path`) and name, for catching up: one for all paths, one per tag
    /// the app's routes carry (whether stale or expired now). A tag no
    /// route carries has none: no instance would ever read it, and a
    /// counter per name asked for would let Redis grow with every name
    /// anyone revalidates.
    fn version_key(&self, kind: &str, name: &str) -> Option<String> {
        let prefix = &self.options.key_prefix;
        match kind {
            "path" => Some(format!("{prefix}:v:paths")),
            _ if self.options.tags.iter().any(|tag| tag == name) => {
                Some(format!("{prefix}:v:tag:{name}"))
            }
            _ => None,
        }
    }

    /// Sends the revalidations kept while Redis was away.
    pub(super) async fn send_pending(&self) {
        let events = self.pending.take();
        if events.is_empty() {
            return;
        }
        let Ok(mut conn) = self.connection().await else {
            events.into_iter().for_each(|e| self.pending.keep(e));
            return;
        };
        for event in events {
            if self.publish(&mut conn, &event).await.is_err() {
                self.pending.keep(event);
            }
        }
    }

    /// Subscribes, catches up, delivers peers' events until the connection
    /// drops, and starts over.
    pub(super) async fn listen(&self, deliver: &(impl Fn(SharedEvent) + Send + Sync)) {
        loop {
            let connected = tokio::time::timeout(PROBE_INTERVAL, self.client.get_async_pubsub());
            match connected.await {
                Ok(Ok(mut pubsub)) => {
                    if pubsub.subscribe(self.channel()).await.is_ok() {
                        // Redis answered: calls need not wait for a probe.
                        self.health.succeeded();
                        self.send_pending().await;
                        let mut caught_up = self.catch_up(deliver).await.is_ok();
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
                                // A send or a catching up that failed (the
                                // first command after an outage often does,
                                // on a connection not yet remade) is retried
                                // here, the subscription kept meanwhile.
                                _ = retry.tick() => {
                                    self.send_pending().await;
                                    if !caught_up {
                                        caught_up = self.catch_up(deliver).await.is_ok();
                                    }
                                }
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
        let event = match kind {
            "tag" => SharedEvent::Tag(name.to_string()),
            "tag-now" => SharedEvent::ExpiredTag(name.to_string()),
            "path" => SharedEvent::Path(name.to_string()),
            _ => return,
        };
        if let Some(version_key) = self.version_key(kind, name) {
            self.versions.saw(&version_key, version);
        }
        if origin != self.origin {
            deliver(event);
        }
    }

    /// Compares the invalidation versions in Redis with those last seen and
    /// delivers what was missed while disconnected. An error means nothing
    /// was compared: the caller tries again.
    async fn catch_up(&self, deliver: &impl Fn(SharedEvent)) -> RedisResult<()> {
        let mut conn = self.connection().await?;
        let prefix = &self.options.key_prefix;
        let mut keys: Vec<String> = self
            .options
            .tags
            .iter()
            .map(|tag| format!("{prefix}:v:tag:{tag}"))
            .collect();
        keys.push(format!("{prefix}:v:paths"));
        // As text: a counter something else overwrote must not stop the
        // catching up on every other.
        let versions: Vec<Option<String>> =
            redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
        for ((key, version), tag) in keys.iter().zip(versions).zip(
            self.options
                .tags
                .iter()
                .map(Some)
                .chain(std::iter::once(None)),
        ) {
            // A version never bumped is 0, so the first bump is news.
            let version = version.and_then(|v| v.parse().ok()).unwrap_or(0);
            if self.versions.caught_up(key, version) {
                // Whether the missed ones marked stale or expired is not
                // known; the engine's own tags only ever expire.
                deliver(match tag {
                    Some(tag) if tag.starts_with(IMPLICIT_TAG_PREFIX) => {
                        SharedEvent::ExpiredTag(tag.clone())
                    }
                    Some(tag) => SharedEvent::Tag(tag.clone()),
                    None => SharedEvent::AllPaths,
                });
            }
        }
        Ok(())
    }
}
