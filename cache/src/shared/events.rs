//! What travels between instances: [`SharedEvent`]s, the revalidations
//! kept for Redis while it is away, and the invalidation versions seen.

use std::collections::HashMap;
use std::sync::Mutex;

/// Revalidations kept for Redis during an outage, at most: a bound on
/// memory however long the outage.
pub(super) const MAX_PENDING: usize = 10_000;

/// An invalidation made on another instance, to apply to the memory tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedEvent {
    /// A tag's entries are stale (`revalidate_tag(tag, "max")`).
    Tag(String),
    /// A tag's entries expired now (`revalidate_tag(tag, { expire: 0 })`,
    /// and the engine's tags of a route and of a path): the next request
    /// waits.
    ExpiredTag(String),
    /// A path's entries, and the data made for them, expired now.
    Path(String),
    /// Path revalidations happened while this instance was not listening:
    /// which paths is not known, so every entry is revalidated.
    AllPaths,
}

/// Revalidations made here while Redis was away, to send on its return:
/// each once, the oldest dropped beyond [`MAX_PENDING`].
#[derive(Default)]
pub(super) struct Pending(Mutex<Vec<SharedEvent>>);

impl Pending {
    pub(super) fn keep(&self, event: SharedEvent) {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
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

    /// How many are kept.
    pub(super) fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Every kept revalidation, oldest first, leaving none.
    pub(super) fn take(&self) -> Vec<SharedEvent> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Invalidation versions seen, by version key.
#[derive(Default)]
pub(super) struct Versions(Mutex<HashMap<String, i64>>);

impl Versions {
    /// Records a version a message or a publish of this instance's carried;
    /// messages may come after a newer version was read, so it only rises.
    pub(super) fn saw(&self, key: &str, version: i64) {
        let mut versions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let known = versions.entry(key.to_string()).or_insert(version);
        *known = (*known).max(version);
    }

    /// Records the version read back when catching up; true when it is not
    /// the one last seen. Lower means Redis lost its counters (a restart
    /// without persistence, a flush): whatever happened meanwhile is
    /// unknown, so that is news too, and counting starts again from it.
    pub(super) fn caught_up(&self, key: &str, version: i64) -> bool {
        let mut versions = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let known = versions.entry(key.to_string()).or_insert(version);
        let news = version != *known;
        *known = version;
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revalidations_kept_during_an_outage_are_deduplicated_and_bounded() {
        let pending = Pending::default();
        pending.keep(SharedEvent::Tag("posts".into()));
        pending.keep(SharedEvent::Tag("posts".into()));
        assert_eq!(pending.len(), 1);
        assert_eq!(pending.take().len(), 1);
        for i in 0..=MAX_PENDING {
            pending.keep(SharedEvent::Path(format!("/p/{i}")));
        }
        let kept = pending.take();
        assert_eq!(kept.len(), MAX_PENDING);
        assert_eq!(kept[0], SharedEvent::Path("/p/1".into()), "the oldest went");
        assert!(pending.take().is_empty(), "taking leaves none");
    }

    #[test]
    fn a_version_read_back_is_news_when_it_moved_either_way() {
        let versions = Versions::default();
        assert!(!versions.caught_up("v", 0), "the first sight sets the mark");
        assert!(versions.caught_up("v", 2));
        assert!(!versions.caught_up("v", 2));
        versions.saw("v", 1);
        assert!(
            !versions.caught_up("v", 2),
            "an older message changes nothing"
        );
        assert!(
            versions.caught_up("v", 1),
            "lower: Redis lost its counters, so what was missed is unknown"
        );
        versions.saw("v", 3);
        assert!(!versions.caught_up("v", 3), "a message already told it");
    }
}
