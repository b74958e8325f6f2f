//! A response built with its own `Set-Cookie` header.

use trellis::prelude::*;

pub async fn GET(req: Request) -> Result<Response> {
    let response = Response::new("Hello, Next.js!");
    match req.cookies().get("token") {
        Some(token) => response.header("set-cookie", &format!("token={token}")),
        None => Ok(response),
    }
}
