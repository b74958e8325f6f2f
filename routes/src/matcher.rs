//! The route table: every route pattern, and the matcher that picks one for a
//! path with Next.js priority.
//!
//! Built once, immutable afterwards, shared by every HTTP worker. Fully static
//! routes sit in a hash map keyed by the whole path, so matching one hashes the
//! path once and allocates nothing. Everything else walks a trie of segments,
//! trying at each level a static child, then `[param]`, then `[...catchAll]`,
//! then `[[...optional]]`, and backtracking when a branch fails: that order is
//! Next.js's "static before dynamic before catch-all" specificity.

use std::borrow::Cow;
use std::collections::HashMap;

/// Route tables are fixed at start-up, so SipHash's flooding defence buys
/// nothing on lookups; foldhash is several times cheaper per path.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::sync::Arc;

use crate::error::RouteError;
use crate::params::{ParamValue, Params};
use crate::pattern::{PatternSegment, RoutePattern};
use crate::percent::{self, BadEncoding};

/// Which route a path matched: an index into the table, cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentId(u32);

impl SegmentId {
    /// The position of the route in the order it was registered.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A registered route: its pattern and where it came from (a route file's
/// path, or the builder call), for error messages and `trellis routes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub pattern: RoutePattern,
    pub source: String,
}

/// A successful match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub segment: SegmentId,
    pub params: Params,
}

/// Every route of an app, ready to match paths.
///
/// ```
/// use trellis_routes::{RoutePattern, RouteTable};
///
/// let table = RouteTable::build([
///     (RoutePattern::parse("/blog/[...slug]").unwrap(), "app/blog/[...slug]/route.rs".to_string()),
///     (RoutePattern::parse("/blog/latest").unwrap(), "app/blog/latest/route.rs".to_string()),
/// ])
/// .unwrap();
/// let hit = table.match_path("/blog/latest").unwrap().unwrap();
/// assert_eq!(table.route(hit.segment).source, "app/blog/latest/route.rs");
/// let hit = table.match_path("/blog/a%2Fb/c").unwrap().unwrap();
/// assert_eq!(hit.params.get("slug").unwrap().as_slice(), ["a/b", "c"]);
/// ```
#[derive(Debug)]
pub struct RouteTable {
    exact: FastMap<Box<str>, SegmentId>,
    root: Node,
    routes: Vec<RouteEntry>,
}

#[derive(Debug, Default)]
struct Node {
    route: Option<SegmentId>,
    statics: FastMap<Box<str>, Node>,
    /// The name, the route that introduced it (for error messages), the child.
    dynamic: Option<(Arc<str>, SegmentId, Box<Node>)>,
    catch_all: Option<(Arc<str>, SegmentId)>,
    optional_catch_all: Option<(Arc<str>, SegmentId)>,
}

impl RouteTable {
    /// Builds the table; routes get ids in the order given. Fails on two
    /// routes that answer the same paths, naming both sources.
    pub fn build(
        routes: impl IntoIterator<Item = (RoutePattern, String)>,
    ) -> Result<Self, RouteError> {
        let mut table = RouteTable {
            exact: FastMap::default(),
            root: Node::default(),
            routes: Vec::new(),
        };
        for (pattern, source) in routes {
            let id = SegmentId(
                u32::try_from(table.routes.len())
                    .expect("more than 4 billion routes: this is a bug in Trellis"),
            );
            table.routes.push(RouteEntry { pattern, source });
            table.insert(id)?;
        }
        Ok(table)
    }

    pub fn routes(&self) -> &[RouteEntry] {
        &self.routes
    }

    pub fn route(&self, id: SegmentId) -> &RouteEntry {
        &self.routes[id.index()]
    }

    /// Finds the route for a path (no query string). The caller strips
    /// trailing and doubled slashes first, as the engine does with a redirect.
    pub fn match_path(&self, path: &str) -> Result<Option<RouteMatch>, BadEncoding> {
        if !path.contains('%') {
            if let Some(&segment) = self.exact.get(path) {
                return Ok(Some(RouteMatch {
                    segment,
                    params: Params::default(),
                }));
            }
        } else {
            percent::validate(path)?;
        }
        let rest = path.strip_prefix('/').unwrap_or(path);
        let rest = (!rest.is_empty()).then_some(rest);
        let mut params = Params::default();
        Ok(walk(&self.root, rest, &mut params).map(|segment| RouteMatch { segment, params }))
    }

    fn source(&self, id: SegmentId) -> String {
        self.routes[id.index()].source.clone()
    }

    fn insert(&mut self, id: SegmentId) -> Result<(), RouteError> {
        let pattern = self.routes[id.index()].pattern.clone();
        let mut at = String::new();
        let mut node = &mut self.root;
        for segment in pattern.segments() {
            let here = if at.is_empty() {
                "/".to_string()
            } else {
                at.clone()
            };
            match segment {
                PatternSegment::Static(name) => {
                    node = node.statics.entry(name.clone()).or_default();
                }
                PatternSegment::Dynamic(name) => {
                    if let Some((existing, by, _)) = &node.dynamic {
                        if existing != name {
                            return Err(RouteError::DifferentParamNames {
                                at: here,
                                first: self.routes[by.index()].source.clone(),
                                first_name: existing.to_string(),
                                second: self.routes[id.index()].source.clone(),
                                second_name: name.to_string(),
                            });
                        }
                    }
                    node = &mut *node
                        .dynamic
                        .get_or_insert_with(|| (name.clone(), id, Box::default()))
                        .2;
                }
                PatternSegment::CatchAll(name) | PatternSegment::OptionalCatchAll(name) => {
                    let optional = matches!(segment, PatternSegment::OptionalCatchAll(_));
                    let (same, other) = if optional {
                        (&node.optional_catch_all, &node.catch_all)
                    } else {
                        (&node.catch_all, &node.optional_catch_all)
                    };
                    if let Some((_, by)) = other {
                        return Err(RouteError::CatchAllBeside {
                            at: here,
                            first: self.routes[by.index()].source.clone(),
                            second: self.routes[id.index()].source.clone(),
                        });
                    }
                    if let Some((existing, by)) = same {
                        return Err(if existing != name {
                            RouteError::DifferentParamNames {
                                at: here,
                                first: self.routes[by.index()].source.clone(),
                                first_name: existing.to_string(),
                                second: self.routes[id.index()].source.clone(),
                                second_name: name.to_string(),
                            }
                        } else {
                            RouteError::Conflict {
                                pattern: pattern.to_string(),
                                first: self.routes[by.index()].source.clone(),
                                second: self.routes[id.index()].source.clone(),
                            }
                        });
                    }
                    if optional {
                        if let Some(by) = node.route {
                            return Err(RouteError::Conflict {
                                pattern: here,
                                first: self.routes[by.index()].source.clone(),
                                second: self.routes[id.index()].source.clone(),
                            });
                        }
                        node.optional_catch_all = Some((name.clone(), id));
                    } else {
                        node.catch_all = Some((name.clone(), id));
                    }
                    return Ok(());
                }
            }
            at.push('/');
            at.push_str(&segment.to_string());
        }
        let clash = node
            .route
            .or(node.optional_catch_all.as_ref().map(|(_, by)| *by));
        if let Some(by) = clash {
            return Err(RouteError::Conflict {
                pattern: pattern.to_string(),
                first: self.source(by),
                second: self.source(id),
            });
        }
        node.route = Some(id);
        if pattern.is_static() {
            self.exact.insert(pattern.to_string().into(), id);
        }
        Ok(())
    }
}

/// Depth-first search in priority order. `rest` is the path after the
/// segments already consumed, without its leading slash; `None` once all are.
fn walk(node: &Node, rest: Option<&str>, params: &mut Params) -> Option<SegmentId> {
    let Some(rest) = rest else {
        return node
            .route
            .or_else(|| node.optional_catch_all.as_ref().map(|(_, id)| *id));
    };
    let (segment, tail) = match rest.split_once('/') {
        Some((segment, tail)) => (segment, Some(tail)),
        None => (rest, None),
    };
    let decoded = decode(segment);
    if let Some(child) = node.statics.get(&*decoded) {
        if let Some(id) = walk(child, tail, params) {
            return Some(id);
        }
    }
    if let Some((name, _, child)) = &node.dynamic {
        params.push(name.clone(), ParamValue::One(decoded.into_owned()));
        if let Some(id) = walk(child, tail, params) {
            return Some(id);
        }
        params.pop();
    }
    let (name, id) = node
        .catch_all
        .as_ref()
        .or(node.optional_catch_all.as_ref())?;
    params.push(
        name.clone(),
        ParamValue::Many(rest.split('/').map(|s| decode(s).into_owned()).collect()),
    );
    Some(*id)
}

/// The whole path was validated before the walk began.
fn decode(segment: &str) -> Cow<'_, str> {
    percent::decode(segment).expect("path validated before matching: this is a bug in Trellis")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(patterns: &[&str]) -> Result<RouteTable, RouteError> {
        RouteTable::build(
            patterns
                .iter()
                .map(|p| (RoutePattern::parse(p).unwrap(), format!("app{p}/route.rs"))),
        )
    }

    fn matched(table: &RouteTable, path: &str) -> Option<(String, Params)> {
        table
            .match_path(path)
            .unwrap()
            .map(|m| (table.route(m.segment).pattern.to_string(), m.params))
    }

    #[test]
    fn priority_does_not_depend_on_registration_order() {
        let patterns = vec!["/docs/[[...slug]]", "/docs/[id]", "/docs/new"];
        for order in [patterns.clone(), patterns.iter().rev().copied().collect()] {
            let t = table(&order).unwrap();
            assert_eq!(matched(&t, "/docs/new").unwrap().0, "/docs/new");
            assert_eq!(matched(&t, "/docs/7").unwrap().0, "/docs/[id]");
            assert_eq!(matched(&t, "/docs/a/b").unwrap().0, "/docs/[[...slug]]");
            assert_eq!(matched(&t, "/docs").unwrap().0, "/docs/[[...slug]]");
        }
    }

    #[test]
    fn catch_all_beats_optional_catch_all_one_level_up() {
        let t = table(&["/[[...all]]", "/blog/[...slug]"]).unwrap();
        assert_eq!(matched(&t, "/blog/x").unwrap().0, "/blog/[...slug]");
        assert_eq!(matched(&t, "/blog").unwrap().0, "/[[...all]]");
        assert_eq!(matched(&t, "/").unwrap().0, "/[[...all]]");
    }

    #[test]
    fn a_failed_static_branch_backtracks_to_dynamic() {
        let t = table(&["/a/b/c", "/a/[x]/d"]).unwrap();
        let (pattern, params) = matched(&t, "/a/b/d").unwrap();
        assert_eq!(pattern, "/a/[x]/d");
        assert_eq!(params, Params::from_pairs([("x", "b")]));
    }

    #[test]
    fn catch_all_needs_one_segment() {
        let t = table(&["/blog/[...slug]"]).unwrap();
        assert!(matched(&t, "/blog").is_none());
        let (_, params) = matched(&t, "/blog/1/2").unwrap();
        assert_eq!(params.get("slug").unwrap().as_slice(), ["1", "2"]);
    }

    #[test]
    fn params_are_decoded_per_segment() {
        let t = table(&["/dashboard/[team]", "/blog/[...slug]"]).unwrap();
        let (_, params) = matched(&t, "/dashboard/a%20b").unwrap();
        assert_eq!(params.get("team").unwrap().as_str(), Some("a b"));
        let (_, params) = matched(&t, "/blog/a%2Fb/c").unwrap();
        assert_eq!(params.get("slug").unwrap().as_slice(), ["a/b", "c"]);
    }

    #[test]
    fn invalid_percent_encoding_is_an_error_not_a_miss() {
        let t = table(&["/dashboard/[team]"]).unwrap();
        assert_eq!(t.match_path("/dashboard/%zz"), Err(BadEncoding));
        assert_eq!(t.match_path("/nowhere/%E0%A4%A"), Err(BadEncoding));
    }

    #[test]
    fn static_routes_match_through_the_exact_map() {
        let t = table(&["/api/hello", "/"]).unwrap();
        assert_eq!(matched(&t, "/api/hello").unwrap().0, "/api/hello");
        assert_eq!(matched(&t, "/").unwrap().0, "/");
        assert_eq!(matched(&t, "/api/hell%6F").unwrap().0, "/api/hello");
        assert!(matched(&t, "/api").is_none());
    }

    #[test]
    fn groups_resolving_to_one_url_conflict_naming_both_files() {
        let err = table(&["/(a)/x", "/(b)/x"]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("app/(a)/x/route.rs") && text.contains("app/(b)/x/route.rs"),
            "{text}"
        );
    }

    #[test]
    fn sibling_params_with_different_names_conflict() {
        let err = table(&["/items/[id]", "/items/[slug]/edit"]).unwrap_err();
        assert!(
            matches!(err, RouteError::DifferentParamNames { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("app/items/[id]/route.rs"));
    }

    #[test]
    fn optional_catch_all_clashes_with_its_parent_route() {
        for order in [
            ["/docs", "/docs/[[...slug]]"],
            ["/docs/[[...slug]]", "/docs"],
        ] {
            assert!(matches!(table(&order), Err(RouteError::Conflict { .. })));
        }
        assert!(matches!(
            table(&["/d/[...a]", "/d/[[...a]]"]),
            Err(RouteError::CatchAllBeside { .. })
        ));
    }
}
