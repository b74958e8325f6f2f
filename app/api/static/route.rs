//! `dynamic = 'force-static'`: made once, served from the cache until
//! revalidated on demand.

use trellis::prelude::*;

pub const DYNAMIC: Dynamic = Dynamic::ForceStatic;

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "generatedAt": trellis::time::unix_millis() })))
}
