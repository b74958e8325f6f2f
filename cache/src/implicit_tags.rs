//! The tags the engine gives entries itself, as Next.js gives its implicit
//! `_N_T_` tags, so that path revalidation is tag revalidation: every
//! entry of a route carries its page tag (`revalidate_path(pattern,
//! "page")`, and `"layout"` for every route under a prefix), and the data
//! a route fetched or memoized while making its entry carries that page
//! tag and the path's tag too (`revalidate_path(path)` refreshes the data
//! the path was made from). An app's tags can never be these: they may
//! not start with `_N_T_`.

use trellis_config::IMPLICIT_TAG_PREFIX;

/// The tag of every entry of the route with this pattern.
///
/// ```
/// assert_eq!(trellis_cache::page_tag("/blog/[slug]"), "_N_T_page:/blog/[slug]");
/// ```
pub fn page_tag(pattern: &str) -> String {
    format!("{IMPLICIT_TAG_PREFIX}page:{pattern}")
}

/// The tag of the data a request for this path was made from.
pub fn path_tag(path: &str) -> String {
    format!("{IMPLICIT_TAG_PREFIX}path:{path}")
}
