//! Before an instance makes a value another may be making too (a response
//! or a data entry, on a miss or a refresh): take what a peer stored, or
//! the key's lock in Redis, or wait for (or yield to) the peer holding it.
//! One protocol for both caches; each says what a usable stored value is.

use std::future::Future;
use std::time::{Duration, Instant};

use super::store::{LockOutcome, LockToken, SharedStore};

/// How often a miss polls Redis while another instance makes its value.
const PEER_POLL: Duration = Duration::from_millis(20);

/// Whose turn it is to make a key's value, as [`SharedStore::adopt_or_lock`]
/// found.
pub(crate) enum PeerTurn<T> {
    /// A peer's value, taken into memory.
    Adopted(T),
    /// This instance makes it, holding the key's lock.
    Locked(LockToken),
    /// Another instance holds the key's lock.
    HeldElsewhere,
    /// Redis did not answer: make it here, without a lock.
    Unavailable,
}

impl SharedStore {
    /// What `adopt` finds in Redis (a usable value a peer stored), or else
    /// the key's lock, read again once taken: a peer may have written and
    /// let go just before.
    pub(crate) async fn adopt_or_lock<T, F, Fut>(&self, key: &str, adopt: &F) -> PeerTurn<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        if let Some(found) = adopt().await {
            return PeerTurn::Adopted(found);
        }
        match self.try_lock(key).await {
            LockOutcome::Acquired(token) => match adopt().await {
                Some(found) => {
                    self.unlock_detached(key, token);
                    PeerTurn::Adopted(found)
                }
                None => PeerTurn::Locked(token),
            },
            LockOutcome::HeldElsewhere => PeerTurn::HeldElsewhere,
            LockOutcome::Unavailable => PeerTurn::Unavailable,
        }
    }

    /// For a miss: what `adopt` finds in Redis, or `Err` to make the value
    /// here, with the key's lock when this instance took it. While another
    /// instance holds the lock, waits for its value up to the lock's life;
    /// if Redis is down, makes it here at once.
    pub(crate) async fn adopt_or_wait<T, F, Fut>(
        &self,
        key: &str,
        adopt: F,
    ) -> Result<T, Option<LockToken>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        match self.adopt_or_lock(key, &adopt).await {
            PeerTurn::Adopted(found) => Ok(found),
            PeerTurn::Locked(token) => Err(Some(token)),
            PeerTurn::Unavailable => Err(None),
            PeerTurn::HeldElsewhere => {
                let deadline = Instant::now() + self.lock_ttl();
                while Instant::now() < deadline {
                    tokio::time::sleep(PEER_POLL).await;
                    if let Some(found) = adopt().await {
                        return Ok(found);
                    }
                }
                Err(None)
            }
        }
    }
}
