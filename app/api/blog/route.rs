//! The seed's revalidation example, ported: a dynamic route whose data is
//! cached. `fetch(url, { next: { revalidate: 5, tags: ['blog'] } })` of
//! `$DEMO_UPSTREAM/upstream/posts` (this server's own `/api` unless the
//! variable names another): `renderedAt` changes on every request, the
//! upstream's `served` only after 5 s (served stale while one refresh
//! runs) or after `POST /api/revalidate?tag=blog`.

use trellis::prelude::*;

pub const DYNAMIC: Dynamic = Dynamic::ForceDynamic;

pub async fn GET() -> Result<Response> {
    let upstream = std::env::var("DEMO_UPSTREAM").unwrap_or_else(|_| "/api".to_string());
    let posts = trellis::fetch(format!("{upstream}/upstream/posts"))
        .revalidate(5)
        .tags(["blog"])
        .await?;
    let upstream: Value = posts.json()?;
    Ok(Response::json(&json!({
        "upstream": upstream,
        "renderedAt": trellis::time::unix_millis(),
    })))
}
