//! CORS headers set by hand on one response.

use trellis::prelude::*;

pub async fn GET() -> Result<Response> {
    Response::new("Hello, Next.js!")
        .header("Access-Control-Allow-Origin", "*")?
        .header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")?
        .header("Access-Control-Allow-Headers", "Content-Type, Authorization")
}
