//! Only GET: every other method of the seven gets 405 with `Allow`.

use trellis::prelude::*;

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "ok": true })))
}
