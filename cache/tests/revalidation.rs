//! The cache's semantics, on a manual clock: no sleeps.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use trellis_cache::{
    page_tag, CachePolicy, CachedResponse, Clock, EntryScope, Fill, Filled, Lookup, MemoryStore,
    NotStored, RecentHits, RevalidationCache, SegmentSpec, Waited,
};

fn response(body: &str) -> CachedResponse {
    CachedResponse {
        status: StatusCode::OK,
        headers: vec![],
        body: Bytes::copy_from_slice(body.as_bytes()),
    }
}

fn cache_with(revalidate: Option<u64>, budget: u64) -> (RevalidationCache, Clock) {
    let clock = Clock::manual();
    let store = Arc::new(MemoryStore::new(budget, Duration::from_secs(3600)));
    let spec = SegmentSpec {
        route: "/posts".into(),
        policy: CachePolicy::Cache {
            revalidate: revalidate.map(Duration::from_secs),
        },
        tags: vec!["posts".into()],
        ..SegmentSpec::default()
    };
    (RevalidationCache::new(store, clock.clone(), [spec]), clock)
}

fn cache(revalidate: u64) -> (RevalidationCache, Clock) {
    cache_with(Some(revalidate), 1 << 20)
}

fn lead(cache: &RevalidationCache, key: &str, body: &str) {
    match cache.segment(0).fill(key) {
        Fill::Lead(guard) => assert!(guard.complete(response(body)).is_ok()),
        _ => panic!("expected to lead the fill of {key}"),
    }
}

#[test]
fn fresh_then_stale_after_the_period() {
    let (cache, clock) = cache(2);
    let segment = cache.segment(0);
    assert!(matches!(segment.lookup("/posts"), Lookup::Miss));
    lead(&cache, "/posts", "one");
    assert!(matches!(segment.lookup("/posts"), Lookup::Fresh(_)));
    clock.advance(Duration::from_millis(1999));
    assert!(matches!(segment.lookup("/posts"), Lookup::Fresh(_)));
    clock.advance(Duration::from_millis(1));
    match segment.lookup("/posts") {
        Lookup::Stale(entry) => {
            assert_eq!(entry.response.body, "one");
            assert_eq!(segment.ttl(&entry), -1);
        }
        other => panic!("expected stale, got {other:?}"),
    }
}

#[tokio::test]
async fn two_hundred_fills_of_a_cold_key_have_one_leader() {
    let (cache, _) = cache(60);
    let segment = cache.segment(0).clone();
    let mut leaders = Vec::new();
    let mut waiters = Vec::new();
    for _ in 0..200 {
        match segment.fill("/posts") {
            Fill::Lead(guard) => leaders.push(guard),
            Fill::Wait(waiter) => waiters.push(tokio::spawn(waiter.wait())),
            Fill::Ready(_) => panic!("nothing was stored yet"),
        }
    }
    assert_eq!(leaders.len(), 1);
    assert!(leaders
        .pop()
        .unwrap()
        .complete(response("made once"))
        .is_ok());
    for waiter in waiters {
        match waiter.await.unwrap() {
            Waited::Filled(Filled::Shared(entry)) => assert_eq!(entry.response.body, "made once"),
            other => panic!("expected the stored response, got {other:?}"),
        }
    }
    // A request that looked up before the store and fills after it is served
    // the stored entry, not a second regeneration.
    assert!(matches!(segment.fill("/posts"), Fill::Ready(_)));
    assert_eq!(
        segment
            .metrics()
            .collapsed
            .load(std::sync::atomic::Ordering::Relaxed),
        199
    );
}

#[test]
fn a_stale_key_gets_exactly_one_refresh() {
    let (cache, clock) = cache(2);
    let segment = cache.segment(0).clone();
    lead(&cache, "/posts", "old");
    clock.advance(Duration::from_secs(3));
    let guards: Vec<_> = (0..200).filter_map(|_| segment.refresh("/posts")).collect();
    assert_eq!(guards.len(), 1);
    guards.into_iter().next().unwrap().complete(response("new"));
    assert!(
        segment.refresh("/posts").is_none(),
        "fresh again: nothing to refresh"
    );
    match segment.lookup("/posts") {
        Lookup::Fresh(entry) => assert_eq!(entry.response.body, "new"),
        other => panic!("expected fresh, got {other:?}"),
    }
}

#[test]
fn a_failed_refresh_keeps_the_last_good_entry_and_backs_off() {
    let (cache, clock) = cache(2);
    let segment = cache.segment(0).clone();
    lead(&cache, "/posts", "good");
    clock.advance(Duration::from_secs(3));
    let guard = segment.refresh("/posts").unwrap();
    guard.complete(CachedResponse {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        ..response("broken")
    });
    match segment.lookup("/posts") {
        Lookup::Stale(entry) => assert_eq!(entry.response.body, "good"),
        other => panic!("expected the good entry, stale, got {other:?}"),
    }
    assert!(segment.refresh("/posts").is_none(), "backing off");
    clock.advance(Duration::from_secs(1));
    let retry = segment
        .refresh("/posts")
        .expect("retried after the backoff");
    drop(retry); // dropped without finishing: a failure, backoff doubles
    clock.advance(Duration::from_secs(1));
    assert!(segment.refresh("/posts").is_none());
    clock.advance(Duration::from_secs(1));
    assert!(segment.refresh("/posts").is_some());
}

#[test]
fn responses_with_cookies_or_server_errors_are_never_stored() {
    let (cache, _) = cache(2);
    let segment = cache.segment(0).clone();
    let Fill::Lead(guard) = segment.fill("/posts") else {
        panic!("cold key");
    };
    let mut with_cookie = response("personal");
    with_cookie.headers.push((
        http::header::SET_COOKIE,
        http::HeaderValue::from_static("a=1"),
    ));
    assert!(guard.complete(with_cookie).is_err());
    assert!(matches!(segment.lookup("/posts"), Lookup::Miss));
}

#[tokio::test]
async fn waiters_are_never_handed_an_answer_that_was_not_stored() {
    let (cache, _) = cache(60);
    let segment = cache.segment(0).clone();
    let Fill::Lead(guard) = segment.fill("/posts") else {
        panic!("cold key");
    };
    let Fill::Wait(waiter) = segment.fill("/posts") else {
        panic!("a fill is running");
    };
    let mut private = response("for one visitor");
    private.headers.push((
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("private"),
    ));
    assert_eq!(guard.complete(private), Err(NotStored::Private));
    assert!(matches!(waiter.wait().await, Waited::Filled(Filled::Own)));
}

#[tokio::test]
async fn a_response_that_varies_is_stored_per_value_and_waiters_look_up_their_own() {
    let (cache, _) = cache(60);
    let segment = cache.segment(0).clone();
    let language = |value: &'static http::HeaderValue| {
        move |name: &http::HeaderName| (name == "accept-language").then_some(value)
    };
    let Fill::Lead(guard) = segment.fill("/posts") else {
        panic!("cold key");
    };
    let Fill::Wait(waiter) = segment.fill("/posts") else {
        panic!("a fill is running");
    };
    let mut bonjour = response("bonjour");
    bonjour.headers.push((
        http::header::VARY,
        http::HeaderValue::from_static("Accept-Language"),
    ));
    static FR: http::HeaderValue = http::HeaderValue::from_static("fr");
    static EN: http::HeaderValue = http::HeaderValue::from_static("en");
    assert!(guard.complete_for_request(bonjour, language(&FR)).is_ok());
    assert!(matches!(
        waiter.wait().await,
        Waited::Filled(Filled::Variant)
    ));
    let fr_key = segment.key("/posts", None, language(&FR));
    assert!(matches!(segment.lookup(&fr_key), Lookup::Fresh(e) if e.response.body == "bonjour"));
    let en_key = segment.key("/posts", None, language(&EN));
    assert_ne!(en_key, fr_key);
    assert!(matches!(segment.lookup(&en_key), Lookup::Miss));
}

#[test]
fn an_entry_made_in_a_scope_has_its_tags_its_own_period_and_its_routes_page_tag() {
    let (cache, _) = cache(60);
    let segment = cache.segment(0).clone();
    let scoped = |key: &str, scope: EntryScope| {
        let Fill::Lead(guard) = segment.fill(key) else {
            panic!("a new key leads");
        };
        guard
            .complete_scoped(response(key), |_| None, &scope)
            .expect("a plain 200 is stored")
    };
    let one = scoped(
        "/posts?one",
        EntryScope {
            tags: vec!["post-1".into(), "posts".into()],
            revalidate: Some(Duration::from_secs(600)),
            data_period: Some(Duration::from_secs(5)),
            ..EntryScope::default()
        },
    );
    assert_eq!(&*one.tags, ["posts", "_N_T_page:/posts", "post-1"]);
    assert_eq!(
        one.lifetime.revalidate,
        Some(Duration::from_secs(5)),
        "no longer than its data"
    );
    let two = scoped("/posts?two", EntryScope::default());
    assert_eq!(two.lifetime.revalidate, Some(Duration::from_secs(60)));
    assert_eq!(cache.revalidate_tag("post-1"), 1, "that entry's own tag");
    assert_eq!(
        cache.expire_tag(&page_tag("/posts")),
        2,
        "every entry of the route"
    );
    assert!(matches!(
        segment.lookup("/posts?two"),
        Lookup::Invalidated(_)
    ));
}

#[test]
fn tag_revalidation_makes_entries_stale_and_path_revalidation_invalid() {
    let (cache, _) = cache(60);
    let segment = cache.segment(0).clone();
    lead(&cache, "/posts", "v1");
    assert_eq!(cache.revalidate_tag("posts"), 1);
    assert_eq!(cache.revalidate_tag("elsewhere"), 0);
    assert!(matches!(segment.lookup("/posts"), Lookup::Stale(_)));
    lead_after_refresh(&cache);
    assert_eq!(cache.revalidate_path("/posts"), 1);
    assert!(matches!(segment.lookup("/posts"), Lookup::Invalidated(_)));
    lead(&cache, "/posts", "v3");
    assert!(matches!(segment.lookup("/posts"), Lookup::Fresh(_)));
}

fn lead_after_refresh(cache: &RevalidationCache) {
    cache
        .segment(0)
        .refresh("/posts")
        .unwrap()
        .complete(response("v2"));
}

#[test]
fn the_timer_finds_requested_entries_past_their_period_and_never_before() {
    let (cache, clock) = cache(2);
    let segment = cache.segment(0).clone();
    lead(&cache, "/posts", "v1");
    lead(&cache, "/unrequested", "v1");
    assert!(matches!(segment.lookup("/posts"), Lookup::Fresh(_)));
    clock.advance(Duration::from_millis(1999));
    assert!(cache.due().is_empty(), "never before the period is over");
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        cache.due(),
        vec![(0, "/posts".to_string())],
        "only the entry someone asked for"
    );
}

#[test]
fn the_byte_budget_holds_when_far_more_is_inserted() {
    let budget = 64 * 1024;
    let (cache, _) = cache_with(None, budget);
    let body = "x".repeat(1024);
    for i in 0..1000 {
        // Past the budget a new key may be turned away: counted below.
        if let Fill::Lead(guard) = cache.segment(0).fill(&format!("/posts/{i}")) {
            let _ = guard.complete(response(&body));
        }
    }
    assert!(
        cache.weighted_size() <= budget,
        "{} > {budget}",
        cache.weighted_size()
    );
    let metrics = cache.segment(0).metrics();
    let evictions = metrics.evictions.load(Ordering::Relaxed);
    let turned_away = metrics.not_admitted.load(Ordering::Relaxed);
    assert!(
        evictions + turned_away > 900,
        "{evictions} evictions, {turned_away} turned away"
    );
}

#[test]
fn the_timer_finds_a_requested_entry_expired_by_tag_at_once() {
    let (cache, _) = cache(60);
    let segment = cache.segment(0).clone();
    lead(&cache, "/posts", "v1");
    lead(&cache, "/unrequested", "v1");
    assert!(matches!(segment.lookup("/posts"), Lookup::Fresh(_)));
    assert!(cache.due().is_empty());
    assert_eq!(cache.revalidate_tag("posts"), 2);
    assert_eq!(cache.due(), vec![(0, "/posts".to_string())]);
    assert_eq!(
        cache.due(),
        vec![(0, "/posts".to_string())],
        "until refreshed"
    );
    segment.refresh("/posts").unwrap().complete(response("v2"));
    assert!(cache.due().is_empty(), "the new entry is fresh");
}

#[test]
fn the_timer_never_offers_an_entry_revalidated_by_path() {
    let (cache, clock) = cache(2);
    let segment = cache.segment(0).clone();
    lead(&cache, "/posts", "v1");
    assert!(matches!(segment.lookup("/posts"), Lookup::Fresh(_)));
    cache.revalidate_path("/posts");
    clock.advance(Duration::from_secs(3));
    assert!(cache.due().is_empty(), "the next request regenerates it");
}

/// One segment per route: `/posts` with its tag, and `/search`, keyed by
/// query, with no tags.
fn posts_and_search() -> RevalidationCache {
    let store = Arc::new(MemoryStore::new(1 << 30, Duration::from_secs(3600)));
    let cached = CachePolicy::Cache {
        revalidate: Some(Duration::from_secs(60)),
    };
    let posts = SegmentSpec {
        route: "/posts/[id]".into(),
        policy: cached,
        tags: vec!["posts".into()],
        ..SegmentSpec::default()
    };
    let search = SegmentSpec {
        route: "/search".into(),
        policy: cached,
        key_by_query: true,
        ..SegmentSpec::default()
    };
    RevalidationCache::new(store, Clock::manual(), [posts, search])
}

fn lead_in(cache: &RevalidationCache, segment: usize, key: &str) {
    match cache.segment(segment).fill(key) {
        Fill::Lead(guard) => assert!(guard.complete(response(key)).is_ok()),
        _ => panic!("expected to lead the fill of {key}"),
    }
}

#[test]
fn revalidating_a_path_among_100_000_entries_marks_exactly_its_own_and_returns_that_count() {
    let cache = posts_and_search();
    for id in 0..99_980 {
        lead_in(&cache, 0, &format!("/posts/{id}"));
    }
    let search = cache.segment(1);
    let own: Vec<String> = (0..10)
        .map(|q| {
            search
                .key("/search", Some(&format!("q={q}")), |_| None)
                .into_owned()
        })
        .chain(["/search".to_string()])
        .collect();
    for key in &own {
        lead_in(&cache, 1, key);
    }
    // Neighbours in key order that are other paths.
    let others = ["/search/x", "/search-x", "/searc", "/searchx?q=1"];
    for key in others {
        lead_in(&cache, 1, key);
    }
    assert_eq!(cache.revalidate_path("/search"), own.len());
    for key in &own {
        assert!(
            matches!(search.lookup(key), Lookup::Invalidated(_)),
            "{key}"
        );
    }
    for key in others {
        assert!(matches!(search.lookup(key), Lookup::Fresh(_)), "{key}");
    }
    assert!(matches!(
        cache.segment(0).lookup("/posts/7"),
        Lookup::Fresh(_)
    ));
    assert_eq!(cache.revalidate_path("/posts/7"), 1);
    assert_eq!(
        cache.revalidate_path("/posts/%37"),
        1,
        "one key per resource"
    );
    assert_eq!(cache.revalidate_path("/nowhere"), 0);
}

#[test]
fn revalidating_a_tag_marks_only_the_entries_that_carry_it() {
    let cache = posts_and_search();
    for id in 0..100 {
        lead_in(&cache, 0, &format!("/posts/{id}"));
    }
    lead_in(&cache, 1, "/search?q=1");
    assert_eq!(cache.revalidate_tag("posts"), 100);
    assert!(matches!(
        cache.segment(0).lookup("/posts/1"),
        Lookup::Stale(_)
    ));
    assert!(matches!(
        cache.segment(1).lookup("/search?q=1"),
        Lookup::Fresh(_)
    ));
}

/// Two segments over a small store: the hot route's entries and the
/// flood's stay apart in the metrics.
fn hot_and_junk(budget: u64) -> (RevalidationCache, Clock) {
    let clock = Clock::manual();
    let store = Arc::new(MemoryStore::new(budget, Duration::from_secs(3600)));
    let hot = SegmentSpec {
        route: "/hot".into(),
        policy: CachePolicy::Cache { revalidate: None },
        ..SegmentSpec::default()
    };
    let junk = SegmentSpec {
        route: "/junk/[id]".into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(60)),
        },
        ..SegmentSpec::default()
    };
    (
        RevalidationCache::new(store, clock.clone(), [hot, junk]),
        clock,
    )
}

#[test]
fn a_flood_of_one_off_keys_ten_times_the_budget_never_evicts_a_hot_key() {
    let budget = 256 * 1024;
    let (cache, _clock) = hot_and_junk(budget);
    let (hot, junk) = (cache.segment(0), cache.segment(1));
    lead_in(&cache, 0, "/hot");
    let Lookup::Fresh(first) = hot.lookup("/hot") else {
        panic!("the hot key was just stored");
    };
    // Read as a worker reads it: from its recent hits, which on a clock
    // that stands still never go back to moka, so moka counts the hot key
    // once. Whether it stayed is moka's to say, at the end.
    let mut recent = RecentHits::default();
    let body = "x".repeat(1024);
    let mut flooded = 0;
    let mut id = 0;
    while flooded < 10 * budget {
        let key = format!("/junk/{id}-{}", "y".repeat(512));
        id += 1;
        let Fill::Lead(guard) = junk.fill(&key) else {
            panic!("every junk key is new");
        };
        let _ = guard.complete(response(&body));
        flooded += (key.len() + body.len()) as u64;
        assert!(matches!(recent.lookup(hot, "/hot"), Lookup::Fresh(_)));
    }
    assert!(cache.weighted_size() <= budget, "{}", cache.weighted_size());
    match hot.lookup("/hot") {
        Lookup::Fresh(entry) => assert!(Arc::ptr_eq(&entry, &first)),
        other => panic!("the hot key went: {other:?}"),
    }
    assert_eq!(hot.metrics().evictions.load(Ordering::Relaxed), 0);
    assert!(junk.metrics().not_admitted.load(Ordering::Relaxed) > 0);
}

#[test]
fn a_key_turned_away_from_a_full_store_comes_in_the_second_time() {
    let budget = 64 * 1024;
    let (cache, _) = hot_and_junk(budget);
    let junk = cache.segment(1);
    let body = "x".repeat(1024);
    let mut id = 0;
    let turned_away = loop {
        let key = format!("/junk/{id}");
        id += 1;
        let Fill::Lead(guard) = junk.fill(&key) else {
            panic!("every junk key is new");
        };
        match guard.complete(response(&body)) {
            Ok(()) => continue,
            Err(why) => break (key, why),
        }
    };
    assert_eq!(turned_away.1, NotStored::NotAdmitted);
    assert!(matches!(junk.lookup(&turned_away.0), Lookup::Miss));
    let Fill::Lead(guard) = junk.fill(&turned_away.0) else {
        panic!("nothing is stored for it");
    };
    assert_eq!(guard.complete(response(&body)), Ok(()));
    assert!(matches!(junk.lookup(&turned_away.0), Lookup::Fresh(_)));
}

#[tokio::test]
async fn a_waiter_stops_waiting_after_the_lock_timeout() {
    let store = Arc::new(MemoryStore::new(1 << 20, Duration::from_secs(3600)));
    let spec = SegmentSpec {
        route: "/slow".into(),
        policy: CachePolicy::Cache { revalidate: None },
        lock_timeout: Duration::from_millis(20),
        ..SegmentSpec::default()
    };
    let cache = RevalidationCache::new(store, Clock::manual(), [spec]);
    let segment = cache.segment(0).clone();
    let Fill::Lead(leader) = segment.fill("/slow") else {
        panic!("cold key");
    };
    let Fill::Wait(waiter) = segment.fill("/slow") else {
        panic!("a fill is running");
    };
    assert!(matches!(waiter.wait().await, Waited::TimedOut));
    let Fill::Wait(waiter) = segment.fill("/slow") else {
        panic!("the leader is still at it");
    };
    let waited = tokio::spawn(waiter.wait());
    assert!(leader.complete(response("at last")).is_ok());
    match waited.await.unwrap() {
        Waited::Filled(Filled::Shared(entry)) => assert_eq!(entry.response.body, "at last"),
        other => panic!("expected the leader's answer, got {other:?}"),
    }
}
