//! `redirect()` as Next.js throws it from a route handler: 307.

use trellis::prelude::*;

pub async fn GET() -> Result<Response> {
    Err(redirect("https://nextjs.org/"))
}
