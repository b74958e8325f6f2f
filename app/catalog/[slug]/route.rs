//! `dynamicParams = false` with static params `a`, `b`, `c`: those are made
//! at start-up and served from the cache; any other slug is 404.

use trellis::prelude::*;

pub const DYNAMIC_PARAMS: bool = false;

pub fn generate_static_params() -> Vec<Params> {
    ["a", "b", "c"]
        .into_iter()
        .map(|slug| Params::from_pairs([("slug", slug)]))
        .collect()
}

pub async fn GET(_req: Request, ctx: Context) -> Result<Response> {
    Ok(Response::json(&json!({ "slug": ctx.param("slug") })))
}
