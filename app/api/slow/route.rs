//! Sleeps `?ms=` milliseconds; past `MAX_DURATION` the engine answers 504.

use std::time::Duration;

use trellis::prelude::*;

pub const MAX_DURATION: u64 = 1;

pub async fn GET(req: Request) -> Result<Response> {
    let ms: u64 = match req.next_url().search_params().get("ms") {
        Some(ms) => ms.parse().map_err(|_| Error::BadRequest("`ms` must be a whole number".into()))?,
        None => 0,
    };
    trellis::time::sleep(Duration::from_millis(ms)).await;
    Ok(Response::json(&json!({ "slept": ms })))
}
