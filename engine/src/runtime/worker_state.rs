//! `WorkerState`: what each HTTP worker holds, built once per worker in the
//! server's factory and read by the routing of a request and its answer.

use std::cell::RefCell;
use std::sync::Arc;

use actix::Addr;
use trellis_cache::RecentHits;
use trellis_config::LimitsConfig;

use crate::runtime::admin::EngineEndpoints;
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::local_segment::LocalSegment;
use crate::runtime::request_metrics::WorkerMetrics;
use crate::runtime::supervisor::Supervisor;

/// What each HTTP worker holds: the shared routes, its own segment actors
/// (indexed by `SegmentId`), the cache hits it served a moment ago, and
/// its block of request counts (none when metrics are off).
pub(crate) struct WorkerState {
    pub routes: Arc<AppRoutes>,
    pub segments: Vec<LocalSegment>,
    pub recent_hits: RefCell<RecentHits>,
    pub supervisor: Addr<Supervisor>,
    pub endpoints: Arc<EngineEndpoints>,
    pub limits: LimitsConfig,
    pub metrics: Option<Arc<WorkerMetrics>>,
}
