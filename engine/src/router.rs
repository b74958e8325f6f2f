//! `Router`: registers segments under route patterns, by hand or from the
//! code build.rs generates, and builds them into what the server serves.

use std::sync::Arc;

use trellis_config::RouteKind;
use trellis_routes::{RouteError, RoutePattern, RouteTable};

use crate::segment::{Segment, ServedSegment};

/// The routes of an app.
///
/// ```
/// use trellis_engine::{Response, Router, Segment};
///
/// let router = Router::new()
///     .route("/api/hello", Segment::new().get(|_, _| async { Ok(Response::text("hi")) }))
///     .route("/users/[id]", Segment::new().get(|_, ctx| async move {
///         Ok(Response::json(&ctx.param("id")))
///     }));
/// assert_eq!(router.summary().unwrap().len(), 2);
/// ```
#[derive(Default)]
pub struct Router {
    registrations: Vec<Registration>,
}

struct Registration {
    pattern: String,
    source: String,
    segment: Segment,
}

/// One row of `trellis routes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSummary {
    pub pattern: String,
    /// The route file, or the builder call, that registered it.
    pub source: String,
    /// The `Allow` list: defined methods plus those the engine answers.
    pub methods: String,
    pub kind: RouteKind,
}

/// The built routes: the matcher and the segments, indexed by `SegmentId`.
pub(crate) struct AppRoutes {
    pub table: RouteTable,
    pub segments: Arc<[Arc<ServedSegment>]>,
}

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    /// Serves `segment` at `pattern` (`/x/[id]`, `/blog/[...slug]`). Pattern
    /// errors and conflicts are reported when the server is built.
    pub fn route(self, pattern: &str, segment: Segment) -> Self {
        let source = format!("Router::route({pattern:?})");
        self.route_file(pattern, &source, segment)
    }

    /// What generated code calls: like `route`, naming the route file.
    #[doc(hidden)]
    pub fn route_file(mut self, pattern: &str, source: &str, segment: Segment) -> Self {
        self.registrations.push(Registration {
            pattern: pattern.to_string(),
            source: source.to_string(),
            segment,
        });
        self
    }

    /// The route table as `trellis routes` prints it, in priority-free
    /// registration order; fails as building the server would.
    pub fn summary(&self) -> Result<Vec<RouteSummary>, RouteError> {
        let table = self.table()?;
        Ok(table
            .routes()
            .iter()
            .zip(&self.registrations)
            .map(|(entry, registration)| RouteSummary {
                pattern: entry.pattern.to_string(),
                source: entry.source.clone(),
                methods: registration
                    .segment
                    .allow()
                    .to_str()
                    .unwrap_or_default()
                    .to_string(),
                kind: registration.segment.config().kind(),
            })
            .collect())
    }

    fn table(&self) -> Result<RouteTable, RouteError> {
        let patterns = self
            .registrations
            .iter()
            .map(|r| {
                RoutePattern::parse(&r.pattern)
                    .map(|pattern| (pattern, r.source.clone()))
                    .map_err(|error| RouteError::Pattern {
                        source_name: r.source.clone(),
                        error,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        RouteTable::build(patterns)
    }

    pub(crate) fn build(self) -> Result<AppRoutes, RouteError> {
        let table = self.table()?;
        let segments = table
            .routes()
            .iter()
            .zip(self.registrations)
            .map(|(entry, r)| Arc::new(ServedSegment::new(&entry.pattern.to_string(), r.segment)))
            .collect();
        Ok(AppRoutes { table, segments })
    }
}
