use trellis::prelude::*;

pub async fn GET() -> Result<Response> {
    Ok(Response::json(&json!({ "message": "Hello World" })))
}
