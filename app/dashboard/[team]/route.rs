use trellis::prelude::*;

pub async fn GET(_req: Request, ctx: Context) -> Result<Response> {
    Ok(Response::json(&json!({ "team": ctx.param("team") })))
}
