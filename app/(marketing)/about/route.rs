//! In the route group `(marketing)`, which adds no URL segment: served at `/about`.

use trellis::prelude::*;

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "page": "about" })))
}
