//! Typed params, as `RouteContext<'/users/[id]'>` gives them in Next.js.

use trellis::prelude::*;

#[derive(Serialize, Deserialize)]
#[serde(crate = "trellis::serde")]
struct UserParams {
    id: String,
}

pub async fn GET(_req: Request, ctx: Context) -> Result<Response> {
    let params: UserParams = ctx.params()?;
    Ok(Response::json(&params))
}
