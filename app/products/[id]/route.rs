//! Per-entry tags: each product's entry is tagged `product-<id>` from
//! inside the handler (Next.js's `cacheTag`), so
//! `POST /api/revalidate?tag=product-1` refreshes `/products/1` and no
//! other product. `generation` counts the runs for that id.

use std::collections::HashMap;
use std::sync::Mutex;

use trellis::prelude::*;

pub const REVALIDATE: u64 = 3600;

static GENERATIONS: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);

pub async fn GET(_req: Request, ctx: Context) -> Result<Response> {
    let Some(id) = ctx.param("id").and_then(ParamValue::as_str) else {
        return Err(Error::NotFound);
    };
    ctx.cache_tag(format!("product-{id}"));
    let generation = {
        let mut generations = GENERATIONS.lock().unwrap_or_else(|e| e.into_inner());
        let count = generations
            .get_or_insert_with(HashMap::new)
            .entry(id.to_string())
            .or_default();
        *count += 1;
        *count
    };
    Ok(Response::json(&json!({ "id": id, "generation": generation })))
}
