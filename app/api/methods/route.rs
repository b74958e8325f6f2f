//! Five methods written by hand; HEAD and OPTIONS come from the engine.

use trellis::prelude::*;

fn echo_method(req: &Request) -> Result<Response> {
    Ok(Response::json(&json!({ "method": req.method().as_str() })))
}

pub async fn GET(req: Request) -> Result<Response> {
    echo_method(&req)
}

pub async fn POST(req: Request) -> Result<Response> {
    echo_method(&req)
}

pub async fn PUT(req: Request) -> Result<Response> {
    echo_method(&req)
}

pub async fn PATCH(req: Request) -> Result<Response> {
    echo_method(&req)
}

pub async fn DELETE(req: Request) -> Result<Response> {
    echo_method(&req)
}
