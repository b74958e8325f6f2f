//! Property test: a Next.js matcher written as a route's pattern covers
//! every path the route table sends to that route, however the path is
//! encoded (`%61` for `a`, `%3F` or `%2F` inside a segment), so a proxy
//! whose matcher names a route cannot be walked around; and a path the
//! matcher accepts always gives its params, its quick shapes agreeing with
//! its regex.

use proptest::prelude::*;
use trellis_routes::{percent, PathMatcher, RoutePattern, RouteTable};

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&["a", "b", "c"][..]).prop_map(str::to_string),
        2 => prop::sample::select(&["[x]", "[y]"][..]).prop_map(str::to_string),
        1 => Just("[...rest]".to_string()),
        1 => Just("[[...opt]]".to_string()),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..4).prop_map(|segs| format!("/{}", segs.join("/")))
}

/// Paths as the engine matches them: no empty segment, no trailing slash.
fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "a", "b", "c", "A", "%61", "a%20b", "%2F", "a%2Fb", "%3F", "%25",
            ][..],
        ),
        0..5,
    )
    .prop_map(|segs| format!("/{}", segs.join("/")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_matcher_covers_every_path_its_route_serves(pattern in pattern(), path in path()) {
        let Ok(route) = RoutePattern::parse(&pattern) else {
            return Ok(());
        };
        let table = RouteTable::build([(route, "route".to_string())])
            .expect("one route always builds");
        let matcher = PathMatcher::parse(&pattern).expect("a route pattern is a matcher");
        let decoded = percent::decode_path(&path).expect("the generated paths decode");
        let covered = matcher.is_match(&decoded).expect("no backtracking here");
        if matches!(table.match_path(&path), Ok(Some(_))) {
            prop_assert!(covered, "{} routes {} but its matcher misses {}", pattern, path, decoded);
        }
        let captured = matcher.captures(&decoded).expect("no backtracking here");
        prop_assert_eq!(covered, captured.is_some(), "{} on {}", pattern, decoded);
    }
}
