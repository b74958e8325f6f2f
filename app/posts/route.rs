//! Revalidated every 2 seconds and tagged `posts`: served from the cache,
//! `generation` counting how many times this handler really ran.

use std::sync::atomic::{AtomicU64, Ordering};

use trellis::prelude::*;

pub const REVALIDATE: u64 = 2;
pub const TAGS: &[&str] = &["posts"];

static GENERATION: AtomicU64 = AtomicU64::new(0);

pub async fn GET() -> Result<Response> {
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
    Ok(Response::json(&json!({
        "generation": generation,
        "generatedAt": trellis::time::unix_millis(),
    })))
}
