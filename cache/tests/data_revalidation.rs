//! Revalidation reaches data values as it reaches responses, through the
//! one index: by tag (marked stale, or expired now) and by the path a value
//! was made for, and nothing else.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use trellis_cache::{
    path_tag, CachedResponse, Clock, DataCache, DataFill, DataSpec, Lookup, MemoryStore,
    RevalidationCache,
};

/// A data cache beside the response cache whose revalidation reaches it.
fn data_cache() -> (Arc<DataCache>, RevalidationCache) {
    let store = Arc::new(MemoryStore::new(1 << 20, Duration::from_secs(3600)));
    let responses = RevalidationCache::new(store, Clock::manual(), []);
    let hour = Duration::from_secs(3600);
    let data = Arc::new(DataCache::new(&responses, hour, Duration::from_secs(5)));
    (data, responses)
}

fn stored(data: &Arc<DataCache>, key: &str, spec: &DataSpec) {
    let DataFill::Lead(guard) = data.fill(key) else {
        panic!("an empty cache lets the first fill lead");
    };
    let value = CachedResponse {
        status: StatusCode::OK,
        headers: vec![],
        body: "1".into(),
    };
    assert!(guard.complete(value, spec));
}

#[test]
fn tag_revalidation_reaches_data_entries_with_the_tag_only() {
    let (data, responses) = data_cache();
    let tagged = |tag: &str| DataSpec {
        tags: vec![tag.to_string()],
        ..DataSpec::default()
    };
    stored(&data, "fetch:GET /a", &tagged("a"));
    stored(&data, "fetch:GET /b", &tagged("b"));
    assert_eq!(responses.revalidate_tag("a"), 1);
    assert!(matches!(data.lookup("fetch:GET /a"), Lookup::Stale(_)));
    assert!(matches!(data.lookup("fetch:GET /b"), Lookup::Fresh(_)));
    assert_eq!(responses.expire_tag("b"), 1);
    assert!(matches!(
        data.lookup("fetch:GET /b"),
        Lookup::Invalidated(_)
    ));
}

#[test]
fn a_path_revalidation_reaches_the_data_made_for_that_path_only() {
    let (data, responses) = data_cache();
    let made_for = |path: &str| DataSpec {
        tags: vec![path_tag(path)],
        path: Some(path.to_string()),
        ..DataSpec::default()
    };
    stored(&data, "fetch:GET /for-a", &made_for("/a"));
    stored(&data, "fetch:GET /for-b", &made_for("/b"));
    assert_eq!(responses.revalidate_path("/a?x=1"), 1);
    assert!(matches!(
        data.lookup("fetch:GET /for-a"),
        Lookup::Invalidated(_)
    ));
    assert!(matches!(data.lookup("fetch:GET /for-b"), Lookup::Fresh(_)));
}
