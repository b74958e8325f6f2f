use trellis::prelude::*;

pub async fn GET(_req: Request, ctx: Context) -> Result<Response> {
    Ok(Response::json(&json!({ "tag": ctx.param("tag"), "item": ctx.param("item") })))
}
