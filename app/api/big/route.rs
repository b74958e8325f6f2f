//! About 10 KB of JSON, revalidated every minute: sent gzip or brotli to a
//! client that accepts it (compressed once per generation, with the
//! cache), with an `ETag` that `If-None-Match` turns into a 304.

use trellis::prelude::*;

pub const REVALIDATE: u64 = 60;

pub async fn GET() -> Result<Response> {
    let items: Vec<_> = (1..=200)
        .map(|id| json!({ "id": id, "name": format!("Item {id}"), "tags": ["demo", "big"], "price": id * 100 }))
        .collect();
    Ok(Response::json(&json!({ "items": items })))
}
