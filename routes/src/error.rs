//! What can go wrong building a route table, and how to fix it.

use std::path::PathBuf;

/// A folder name or pattern string that is not a valid route segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("a pattern starts with `/`: write `/{0}`")]
    NoLeadingSlash(String),
    #[error("an empty segment (`//`) names no folder")]
    EmptySegment,
    #[error("`{0}` must be the last segment: nothing can follow a catch-all")]
    CatchAllNotLast(String),
    #[error("`{0}`: parameter names are letters, digits, `_` and `-` (e.g. `[id]`, `[...slug]`)")]
    InvalidParamName(String),
    #[error(
        "`{0}`: only catch-alls can be optional; write `[[...name]]`, or `[name]` for one segment"
    )]
    OptionalParam(String),
    #[error("`{0}`: a dynamic segment or group is a whole folder name, e.g. `[id]` or `(group)`")]
    PartialBrackets(String),
    #[error("parameter `{0}` appears twice in one route; give each segment its own name")]
    RepeatedParam(String),
}

/// A Next.js path matcher (`/api/:path*`) that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{matcher}`: {problem}")]
pub struct MatcherError {
    pub matcher: String,
    pub problem: String,
}

/// A matcher's regex gave up on a path within its step limit (a pattern
/// that backtracks badly): neither a match nor a miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the matcher gave up on this path within its step limit")]
pub struct MatchAborted;

/// A route table that cannot be built. Every variant names the route files
/// (or builder calls) involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("{source_name}: {error}")]
    Pattern {
        source_name: String,
        error: PatternError,
    },
    #[error("{first} and {second} both resolve to `{pattern}`; remove or move one of them")]
    Conflict {
        pattern: String,
        first: String,
        second: String,
    },
    #[error(
        "{first} uses `{first_name}` and {second} uses `{second_name}` for the same dynamic \
         segment under `{at}`; Next.js requires one name per position: rename one of them"
    )]
    DifferentParamNames {
        at: String,
        first: String,
        first_name: String,
        second: String,
        second_name: String,
    },
    #[error(
        "{first} and {second} are a catch-all and an optional catch-all under `{at}`; \
         keep one (`[[...name]]` already matches what `[...name]` does)"
    )]
    CatchAllBeside {
        at: String,
        first: String,
        second: String,
    },
}

/// A route file that build-time discovery cannot turn into a route.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: does not parse as Rust: {error}")]
    Parse { path: String, error: String },
    #[error("{path}: `{item}`: {problem}")]
    Item {
        path: String,
        item: String,
        problem: String,
    },
    #[error(transparent)]
    Route(#[from] RouteError),
}
