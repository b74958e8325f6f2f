//! What a route function's run gathers about the entry it makes for the
//! cache, beyond its response: the tags `cache_tag` gave it and those of
//! the data it used, the `cache_life` it chose, and the shortest period of
//! that data. The runtime reads it once the answer is made; a run not made
//! for the cache has none.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use trellis_config::tag_problem;

use crate::api::cache_profile::CacheProfile;

/// One run's record. Shared by its context and its run scope (where
/// `trellis::fetch` and `memo` find it); a lock held for a push at most.
#[derive(Debug)]
pub(crate) struct EntryRecord {
    /// The route pattern and the path the entry is made for: the data the
    /// run makes carries their tags, for `revalidate_path`.
    pub(crate) route: Arc<str>,
    pub(crate) path: String,
    gathered: Mutex<Gathered>,
}

/// What a run gathered.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    pub(crate) tags: Vec<String>,
    pub(crate) life: Option<CacheProfile>,
    pub(crate) data_period: Option<Duration>,
}

impl EntryRecord {
    pub(crate) fn new(route: &str, path: &str) -> Self {
        EntryRecord {
            route: Arc::from(route),
            path: path.to_string(),
            gathered: Mutex::default(),
        }
    }

    fn gathered(&self) -> std::sync::MutexGuard<'_, Gathered> {
        self.gathered.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `cache_tag`: a tag that cannot be one is logged and left out.
    pub(crate) fn tag(&self, tag: &str) {
        if let Some(problem) = tag_problem(tag) {
            tracing::warn!(route = %self.route, tag, problem, "cache_tag: tag left out");
            return;
        }
        let mut gathered = self.gathered();
        if !gathered.tags.iter().any(|t| t == tag) {
            gathered.tags.push(tag.to_string());
        }
    }

    /// `cache_life`: the last call wins, as in Next.js only one should run.
    pub(crate) fn life(&self, profile: CacheProfile) {
        self.gathered().life = Some(profile);
    }

    /// Data the run used (a fetch, a memo): its tags become the entry's,
    /// and the entry is fresh no longer than the data (`None`: the data
    /// keeps until revalidated).
    pub(crate) fn data(&self, period: Option<Duration>, tags: &[String]) {
        let mut gathered = self.gathered();
        for tag in tags {
            if !gathered.tags.contains(tag) {
                gathered.tags.push(tag.clone());
            }
        }
        if let Some(period) = period {
            gathered.data_period = Some(gathered.data_period.map_or(period, |p| p.min(period)));
        }
    }

    /// What was gathered, taken once the answer is made.
    pub(crate) fn take(&self) -> Gathered {
        std::mem::take(&mut *self.gathered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortest_data_period_and_every_tag_once_are_kept() {
        let record = EntryRecord::new("/blog", "/blog");
        record.tag("posts");
        record.tag("bad tag");
        record.data(
            Some(Duration::from_secs(60)),
            &["posts".into(), "blog".into()],
        );
        record.data(Some(Duration::from_secs(5)), &[]);
        record.data(None, &[]);
        let gathered = record.take();
        assert_eq!(gathered.tags, ["posts", "blog"]);
        assert_eq!(gathered.data_period, Some(Duration::from_secs(5)));
    }
}
