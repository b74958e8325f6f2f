//! `after()`: POST answers at once and schedules a callback that waits
//! 100 ms, then counts one; GET answers how many have run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use trellis::prelude::*;

static RAN: AtomicU64 = AtomicU64::new(0);

pub async fn POST() -> Result<Response> {
    trellis::after(async {
        trellis::time::sleep(Duration::from_millis(100)).await;
        RAN.fetch_add(1, Ordering::Relaxed);
    });
    Ok(Response::json(&json!({ "accepted": true })))
}

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "ran": RAN.load(Ordering::Relaxed) })))
}
