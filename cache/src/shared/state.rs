//! `TierState`: what every call on the Redis thread shares: the client and
//! its one connection, the options, this instance's origin, Redis's health,
//! the write budget and the state of events.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::RedisResult;
use tokio::sync::OnceCell;

use super::budget::WriteBudget;
use super::events::{Pending, Versions};
use super::health::Health;
use super::options::SharedOptions;
use super::refusals::Refusals;
use super::scripts::Scripts;
use super::signature::Signer;

pub(super) struct TierState {
    pub client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    pub options: SharedOptions,
    /// Tells this instance's own events from its peers'.
    pub origin: String,
    pub health: Health,
    pub versions: Versions,
    pub pending: Pending,
    pub scripts: Scripts,
    pub budget: WriteBudget,
    /// Signs entries written and checks those read, with `[cache] secret`.
    pub signer: Option<Signer>,
    pub refusals: Refusals,
}

impl TierState {
    pub(super) fn new(client: redis::Client, options: SharedOptions) -> Self {
        TierState {
            client,
            connection: OnceCell::new(),
            origin: instance_id(),
            health: Health::default(),
            versions: Versions::default(),
            pending: Pending::default(),
            scripts: Scripts::new(),
            budget: WriteBudget::new(options.budget_bytes),
            signer: options.secret.as_deref().map(Signer::new),
            refusals: Refusals::default(),
            options,
        }
    }

    /// The Redis key of `name` of this `kind` (`e`, `l`, `t`, `p`).
    pub(super) fn key(&self, kind: &str, name: &str) -> String {
        format!("{}:{kind}:{name}", self.options.key_prefix)
    }

    pub(super) fn channel(&self) -> String {
        format!("{}:events", self.options.key_prefix)
    }

    /// The one multiplexed connection, made on first use; it reconnects
    /// by itself after an outage.
    pub(super) async fn connection(&self) -> RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.options.timeout))
            .set_response_timeout(Some(self.options.timeout))
            .set_number_of_retries(1);
        self.connection
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }

    /// Releases the lock at `lock_key` if `token` still holds it.
    pub(super) async fn release(
        &self,
        conn: &mut ConnectionManager,
        lock_key: String,
        token: String,
    ) -> RedisResult<()> {
        self.scripts
            .unlock
            .key(lock_key)
            .arg(token)
            .invoke_async::<i64>(conn)
            .await
            .map(drop)
    }
}

/// A random enough id for this instance (and lock tokens): std's hasher
/// keys are random per process and per call.
pub(super) fn instance_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}
