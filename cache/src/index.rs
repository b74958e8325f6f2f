//! Where the memory tier's entries are, by path, by tag and by when they
//! turn stale, so that `revalidate_path`, `revalidate_tag` and the
//! refresh timer touch only the entries they concern, never a walk over
//! the store.
//!
//! The index sits beside the store, not in it: it learns of an entry when
//! the cache stores one, and forgets it when the store reports letting it
//! go. A record points at its entry weakly (it keeps no body alive), and
//! only the entry it was made for can remove it, so a replaced entry's
//! late report leaves its successor indexed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use crate::entry::CacheEntry;

type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Stripes serialising the storing of one key: index, then store.
const STRIPES: usize = 16;

/// When an entry turns stale, and its number to tell apart entries that
/// do so at the same instant.
type Slot = (Instant, u64);

/// The memory tier's entries by path, tag and deadline.
#[derive(Default)]
pub(crate) struct EntryIndex {
    /// One lock for the three views, so they agree. It is taken to store
    /// (a miss), to forget (an eviction), and by revalidation and the
    /// timer; never on a hit, and never while calling into the store,
    /// which may report removals on the calling thread.
    state: Mutex<State>,
    /// Storing a key takes two steps, the index then the store; two
    /// regenerations of one key (a refresh and a fill) must not interleave
    /// them, or the store would hold one entry and the index the other.
    storing: [Mutex<()>; STRIPES],
    stripes: foldhash::fast::RandomState,
}

#[derive(Default)]
struct State {
    /// Every key, sorted: a path's keys (`/p`, `/p\0variant`, `/p?query`)
    /// lie together, found by a range, not a scan.
    keys: BTreeMap<Arc<str>, Record>,
    /// The keys stored under each tag.
    tags: FastMap<Box<str>, FastSet<Arc<str>>>,
    /// The keys in the order they turn stale, for the timer.
    deadlines: BTreeMap<Slot, Arc<str>>,
}

struct Record {
    entry: Weak<CacheEntry>,
    /// Kept here so the record can leave its tags' sets however it goes.
    tags: Arc<[String]>,
    deadline: Option<Slot>,
}

impl EntryIndex {
    /// Indexes `entry` under `key`, then hands the key to `store`, which
    /// says whether the store took it; an entry it turned away is
    /// forgotten again. The key's text is shared with the store: a key
    /// already indexed gives its own, so no key is held twice.
    pub(crate) fn store(
        &self,
        key: &str,
        entry: &Arc<CacheEntry>,
        store: impl FnOnce(Arc<str>) -> bool,
    ) -> bool {
        let stripe = (self.stripes.hash_one(key) as usize) % STRIPES;
        let _storing = self.storing[stripe]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let key = self.insert(key, entry);
        let stored = store(key.clone());
        if !stored {
            self.remove(&key, entry);
        }
        stored
    }

    fn insert(&self, key: &str, entry: &Arc<CacheEntry>) -> Arc<str> {
        let mut state = self.lock();
        let key = match state.keys.get_key_value(key) {
            Some((known, _)) => known.clone(),
            None => Arc::from(key),
        };
        let record = Record {
            entry: Arc::downgrade(entry),
            tags: entry.tags.clone(),
            deadline: entry.stale_at().map(|at| (at, entry.seq)),
        };
        state.link(&key, &record);
        if let Some(old) = state.keys.insert(key.clone(), record) {
            state.unlink(&key, &old, entry);
        }
        key
    }

    /// Forgets `key` if it is still indexed for `entry`.
    pub(crate) fn remove(&self, key: &str, entry: &CacheEntry) {
        let mut state = self.lock();
        let indexed = state
            .keys
            .get(key)
            .is_some_and(|record| std::ptr::eq(record.entry.as_ptr(), entry));
        if !indexed {
            return;
        }
        if let Some((key, record)) = state.keys.remove_entry(key) {
            state.unlink(&key, &record, entry);
        }
    }

    /// Whether an entry is stored under `key`.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.lock().keys.contains_key(key)
    }

    /// Calls `visit` with every entry stored for `path` (`/p`, its query
    /// keys `/p?...` and its variants `/p\0...`, not `/p/q` nor `/px`);
    /// returns how many it visited.
    pub(crate) fn at_path(&self, path: &str, mut visit: impl FnMut(&CacheEntry)) -> usize {
        let state = self.lock();
        // A variant's NUL sorts before every other character, and `?`
        // just before `@`: two ranges hold a path's keys and nothing else.
        let plain_and_variants = (path.to_string(), format!("{path}\u{1}"));
        let queries = (format!("{path}?"), format!("{path}@"));
        let mut visited = 0;
        for (from, to) in [plain_and_variants, queries] {
            let range = (Bound::Included(from.as_str()), Bound::Excluded(to.as_str()));
            for record in state.keys.range::<str, _>(range).map(|(_, r)| r) {
                if let Some(entry) = record.entry.upgrade() {
                    visit(&entry);
                    visited += 1;
                }
            }
        }
        visited
    }

    /// Expires every entry tagged `tag` and puts it before the timer now;
    /// returns how many.
    pub(crate) fn expire_tagged(&self, tag: &str, now: Instant) -> usize {
        let mut state = self.lock();
        let State {
            keys,
            tags,
            deadlines,
        } = &mut *state;
        let Some(tagged) = tags.get(tag) else {
            return 0;
        };
        let mut expired = 0;
        for key in tagged {
            let Some(record) = keys.get_mut(&**key) else {
                continue;
            };
            let Some(entry) = record.entry.upgrade() else {
                continue;
            };
            entry.expire();
            expired += 1;
            let slot = (now, entry.seq);
            if let Some(old) = record.deadline.replace(slot) {
                deadlines.remove(&old);
            }
            deadlines.insert(slot, key.clone());
        }
        expired
    }

    /// Invalidates every entry tagged `tag`, so that its next request
    /// regenerates and waits (`revalidate_tag(tag, { expire: 0 })`, and the
    /// engine's own tags of a route and of a path); returns how many. No
    /// schedule changes: an invalidated entry is no timer's work.
    pub(crate) fn invalidate_tagged(&self, tag: &str) -> usize {
        let state = self.lock();
        let Some(tagged) = state.tags.get(tag) else {
            return 0;
        };
        tagged
            .iter()
            .filter_map(|key| state.keys.get(&**key)?.entry.upgrade())
            .inspect(|entry| entry.invalidate())
            .count()
    }

    /// The entries whose time has come, as (segment, key), for the timer.
    /// `is_due` judges each: one that is not (never requested, invalidated)
    /// leaves the schedule, as a request will find it stale and regenerate
    /// it; one that is stays until its successor replaces it, so a refresh
    /// that fails is offered again. The cost is what has come due, not
    /// the number of entries.
    pub(crate) fn due(
        &self,
        now: Instant,
        mut is_due: impl FnMut(&CacheEntry) -> bool,
    ) -> Vec<(usize, String)> {
        let mut state = self.lock();
        let State {
            keys, deadlines, ..
        } = &mut *state;
        let mut due = Vec::new();
        let mut done = Vec::new();
        for (slot, key) in deadlines.range(..=(now, u64::MAX)) {
            let entry = keys.get(&**key).and_then(|r| r.entry.upgrade());
            match entry {
                Some(entry) if is_due(&entry) => due.push((entry.segment, key.to_string())),
                _ => done.push(*slot),
            }
        }
        for slot in done {
            let Some(key) = deadlines.remove(&slot) else {
                continue;
            };
            if let Some(record) = keys.get_mut(&*key) {
                if record.deadline == Some(slot) {
                    record.deadline = None;
                }
            }
        }
        due
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// Enters a new record's key in its tags' sets and the schedule.
    fn link(&mut self, key: &Arc<str>, record: &Record) {
        for tag in record.tags.iter() {
            match self.tags.get_mut(tag.as_str()) {
                Some(keys) => {
                    keys.insert(key.clone());
                }
                None => {
                    let keys = FastSet::from_iter([key.clone()]);
                    self.tags.insert(tag.as_str().into(), keys);
                }
            }
        }
        if let Some(slot) = record.deadline {
            self.deadlines.insert(slot, key.clone());
        }
    }

    /// Takes a record that left `keys` out of the schedule and out of the
    /// sets of the tags `current` (the key's entry now, if replaced, or
    /// the one removed) does not carry.
    fn unlink(&mut self, key: &str, record: &Record, current: &CacheEntry) {
        if let Some(slot) = record.deadline {
            if self.deadlines.get(&slot).is_some_and(|k| &**k == key) {
                self.deadlines.remove(&slot);
            }
        }
        let replaced = !std::ptr::eq(record.entry.as_ptr(), current);
        for tag in record.tags.iter() {
            if replaced && current.tags.contains(tag) {
                continue;
            }
            let Some(keys) = self.tags.get_mut(tag.as_str()) else {
                continue;
            };
            keys.remove(key);
            if keys.is_empty() {
                self.tags.remove(tag.as_str());
            } else if keys.len() * 4 < keys.capacity() {
                // A flood's keys gone, the set gives back their room.
                keys.shrink_to_fit();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use http::StatusCode;

    use super::*;
    use crate::entry::{CachedResponse, Lifetime};

    fn entry(tags: &[&str], revalidate: Option<u64>) -> Arc<CacheEntry> {
        let response = CachedResponse {
            status: StatusCode::OK,
            headers: vec![],
            body: Bytes::from_static(b"{}"),
        };
        let lifetime = Lifetime {
            revalidate: revalidate.map(Duration::from_secs),
            expire: Duration::from_secs(3600),
        };
        let tags = tags.iter().map(|t| t.to_string()).collect();
        Arc::new(CacheEntry::new(
            response,
            Instant::now(),
            lifetime,
            0,
            Arc::default(),
            tags,
        ))
    }

    fn stored(index: &EntryIndex, key: &str, entry: &Arc<CacheEntry>) {
        assert!(index.store(key, entry, |_| true));
    }

    #[test]
    fn a_paths_keys_are_its_query_keys_and_variants_and_none_of_its_neighbours() {
        let index = EntryIndex::default();
        let keys = ["/p", "/p?q=1", "/p?q=1\0accept-language=fr", "/p\0x-v=1"];
        let neighbours = ["/p/q", "/px", "/p-x", "/", "/o?p", "/p@"];
        // The store owns entries; the index only points at them.
        let held: Vec<_> = keys
            .iter()
            .chain(&neighbours)
            .map(|_| entry(&[], None))
            .collect();
        for (key, entry) in keys.iter().chain(&neighbours).zip(&held) {
            stored(&index, key, entry);
        }
        assert_eq!(index.at_path("/p", |_| {}), keys.len());
        assert_eq!(index.at_path("/p/q", |_| {}), 1);
        assert_eq!(index.at_path("/nowhere", |_| {}), 0);
    }

    #[test]
    fn a_replaced_entrys_late_removal_leaves_its_successor_indexed() {
        let index = EntryIndex::default();
        let (old, new) = (entry(&["t"], Some(60)), entry(&["t"], Some(60)));
        stored(&index, "/k", &old);
        stored(&index, "/k", &new);
        index.remove("/k", &old);
        assert!(index.contains("/k"));
        assert_eq!(index.expire_tagged("t", Instant::now()), 1);
        index.remove("/k", &new);
        assert!(!index.contains("/k"));
        assert_eq!(index.expire_tagged("t", Instant::now()), 0);
        assert_eq!(index.invalidate_tagged("t"), 0);
        let state = index.lock();
        assert!(state.tags.is_empty() && state.deadlines.is_empty());
    }

    #[test]
    fn invalidating_a_tag_reaches_its_entries_only_and_leaves_them_indexed() {
        let index = EntryIndex::default();
        let (tagged, other) = (entry(&["t"], Some(60)), entry(&["u"], Some(60)));
        stored(&index, "/a", &tagged);
        stored(&index, "/b", &other);
        assert_eq!(index.invalidate_tagged("t"), 1);
        assert!(tagged.is_invalidated() && !other.is_invalidated());
        assert!(index.contains("/a"), "the entry is the fallback still");
    }

    #[test]
    fn a_key_the_store_turns_away_is_not_indexed() {
        let index = EntryIndex::default();
        assert!(!index.store("/k", &entry(&["t"], Some(60)), |_| false));
        assert!(!index.contains("/k"));
        let state = index.lock();
        assert!(state.tags.is_empty() && state.deadlines.is_empty());
    }

    #[test]
    fn a_key_indexed_again_shares_its_text_with_the_store() {
        let index = EntryIndex::default();
        let mut first = None;
        index.store("/k", &entry(&[], None), |key| {
            first = Some(key);
            true
        });
        index.store("/k", &entry(&[], None), |key| {
            assert!(Arc::ptr_eq(first.as_ref().unwrap(), &key));
            true
        });
    }

    #[test]
    fn only_entries_whose_time_has_come_are_looked_at_and_those_not_due_leave() {
        let index = EntryIndex::default();
        let now = Instant::now();
        let (soon, later, never) = (entry(&[], Some(1)), entry(&[], Some(60)), entry(&[], None));
        stored(&index, "/soon", &soon);
        stored(&index, "/later", &later);
        stored(&index, "/never", &never);
        let at = now + Duration::from_secs(2);
        let mut judged = Vec::new();
        let due = index.due(at, |e| {
            judged.push(e.seq);
            true
        });
        assert_eq!(due, vec![(0, "/soon".to_string())]);
        assert_eq!(judged, vec![soon.seq]);
        assert_eq!(index.due(at, |_| false), vec![]);
        assert_eq!(index.due(at, |_| true), vec![], "it left the schedule");
    }
}
