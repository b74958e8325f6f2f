//! Property test: over generated route tables and paths, the trie matcher
//! picks exactly the route a brute-force reference picks (every route that
//! matches, ranked segment by segment: static, dynamic, catch-all, optional).

use proptest::prelude::*;
use trellis_routes::{ParamValue, PatternSegment, RoutePattern, RouteTable};

const WORDS: [&str; 3] = ["a", "b", "c"];

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&WORDS[..]).prop_map(str::to_string),
        2 => prop::sample::select(&["x", "y"][..]).prop_map(|n| format!("[{n}]")),
        1 => Just("[...rest]".to_string()),
        1 => Just("[[...opt]]".to_string()),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..4).prop_map(|segs| format!("/{}", segs.join("/")))
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(&["a", "b", "c", "d", "a%20b"][..]),
        0..5,
    )
    .prop_map(|segs| format!("/{}", segs.join("/")))
}

/// Does `pattern` match `segments`? Brute force, no trie.
fn matches(pattern: &RoutePattern, segments: &[&str]) -> bool {
    let pats = pattern.segments();
    for (i, p) in pats.iter().enumerate() {
        match p {
            PatternSegment::Static(s) => {
                if segments.get(i).map(|seg| seg.replace("%20", " ")) != Some(s.to_string()) {
                    return false;
                }
            }
            PatternSegment::Dynamic(_) => {
                if i >= segments.len() {
                    return false;
                }
            }
            PatternSegment::CatchAll(_) => return segments.len() > i,
            PatternSegment::OptionalCatchAll(_) => return segments.len() >= i,
        }
    }
    pats.len() == segments.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn trie_agrees_with_brute_force(patterns in prop::collection::vec(pattern(), 1..12), path in path()) {
        let parsed: Vec<RoutePattern> = patterns.iter().filter_map(|p| RoutePattern::parse(p).ok()).collect();
        let Ok(table) = RouteTable::build(parsed.iter().map(|p| (p.clone(), p.to_string()))) else {
            // Conflicting tables are refused at build time; nothing to match.
            return Ok(());
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        let expected = parsed
            .iter()
            .enumerate()
            .filter(|(_, p)| matches(p, &segments))
            .min_by_key(|(_, p)| p.segments().iter().map(PatternSegment::rank).collect::<Vec<_>>())
            .map(|(i, _)| i);
        let got = table.match_path(&path).unwrap();
        prop_assert_eq!(got.as_ref().map(|m| m.segment.index()), expected);
        if let Some(m) = got {
            // Every parameter the pattern names is filled from the path, decoded.
            for (name, value) in m.params.iter() {
                prop_assert!(table.route(m.segment).pattern.segments().iter().any(|s| s.param_name().map(|n| &**n) == Some(name)));
                for part in value.as_slice() {
                    prop_assert!(!part.contains('%'));
                }
                if let ParamValue::Many(parts) = value {
                    prop_assert!(!parts.is_empty());
                }
            }
        }
    }

    #[test]
    fn matching_never_panics_on_arbitrary_paths(path in "/[ -~]{0,40}") {
        let table = RouteTable::build(["/a/[x]", "/b/[...rest]", "/[[...opt]]"].iter().map(|p| (RoutePattern::parse(p).unwrap(), p.to_string()))).unwrap();
        let _ = table.match_path(&path);
    }
}
