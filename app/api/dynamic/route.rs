//! `dynamic = 'force-dynamic'`: made on every request.

use trellis::prelude::*;

pub const DYNAMIC: Dynamic = Dynamic::ForceDynamic;

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "generatedAt": trellis::time::unix_millis() })))
}
