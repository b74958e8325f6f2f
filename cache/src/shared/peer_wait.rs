//! Before an instance makes a value another may be making too (a response
//! or a data entry): take what a peer stored, or the key's lock in Redis,
//! or wait for the peer holding it. One protocol for both caches; each
//! says what a usable stored value is.

use std::future::Future;
use std::time::{Duration, Instant};

use super::store::{LockOutcome, LockToken, SharedStore};

/// How often a miss polls Redis while another instance makes its value.
const PEER_POLL: Duration = Duration::from_millis(20);

impl SharedStore {
    /// What `adopt` finds in Redis (a peer's value, taken into memory), or
    /// `Err` to make the value here, with the key's lock when this instance
    /// took it. Takes the lock, or waits for the instance holding it up to
    /// the lock's life; if Redis is down, makes it here at once.
    pub(crate) async fn adopt_or_lock<T, F, Fut>(
        &self,
        key: &str,
        adopt: F,
    ) -> Result<T, Option<LockToken>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        if let Some(found) = adopt().await {
            return Ok(found);
        }
        match self.try_lock(key).await {
            LockOutcome::Acquired(token) => {
                // A peer may have written and let go just before.
                if let Some(found) = adopt().await {
                    self.unlock_detached(key, token);
                    return Ok(found);
                }
                Err(Some(token))
            }
            LockOutcome::HeldElsewhere => {
                let deadline = Instant::now() + self.lock_ttl();
                while Instant::now() < deadline {
                    tokio::time::sleep(PEER_POLL).await;
                    if let Some(found) = adopt().await {
                        return Ok(found);
                    }
                }
                Err(None)
            }
            LockOutcome::Unavailable => Err(None),
        }
    }
}
