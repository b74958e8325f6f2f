//! GET /api/time: made once and served from the cache for `REVALIDATE`
//! seconds; then the next request gets the old answer at once while a new
//! one is made in the background (`Cache-Status` says which it was).

use trellis::prelude::*;

pub const REVALIDATE: u64 = 10;

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "generatedAt": trellis::time::unix_millis() })))
}
