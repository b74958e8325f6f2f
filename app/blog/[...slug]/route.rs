//! A catch-all: `/blog/1/2` gives `{"slug":["1","2"]}`; `/blog` is 404.

use trellis::prelude::*;

pub async fn GET(_req: Request, ctx: Context) -> Result<Response> {
    Ok(Response::json(&json!({ "slug": ctx.param("slug") })))
}
