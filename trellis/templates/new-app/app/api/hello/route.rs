//! GET /api/hello: a folder under `app/` is a URL segment, and its
//! `route.rs` answers that path with the methods it defines.

use trellis::prelude::*;

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "message": "Hello World" })))
}
