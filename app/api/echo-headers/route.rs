use trellis::prelude::*;

pub async fn GET(req: Request) -> Result<Response> {
    Ok(Response::json(&json!({ "x-demo": req.header("x-demo") })))
}
