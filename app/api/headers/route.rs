//! Reads `referer` from the read-only request headers and sends it back.

use trellis::prelude::*;

pub async fn GET(req: Request) -> Result<Response> {
    let response = Response::new("Hello, Next.js!");
    match req.header("referer") {
        Some(referer) => response.header("referer", referer),
        None => Ok(response),
    }
}
