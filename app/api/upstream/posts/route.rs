//! Stands in for another service that `/api/blog` fetches from:
//! `served` counts its own calls, so the data cache's hits show.

use std::sync::atomic::{AtomicU64, Ordering};

use trellis::prelude::*;

static SERVED: AtomicU64 = AtomicU64::new(0);

pub async fn GET() -> Result<Response> {
    let served = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
    Ok(Response::json(&json!({ "served": served })))
}
