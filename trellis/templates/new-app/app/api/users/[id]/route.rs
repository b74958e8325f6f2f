//! GET /api/users/42: `[id]` is a dynamic segment, read here into a typed
//! struct; `/api/users/abc` is a 400 saying why.

use trellis::prelude::*;

#[derive(Serialize, Deserialize)]
#[serde(crate = "trellis::serde")]
struct User {
    id: u64,
}

pub async fn GET(ctx: Context) -> Result<Response> {
    let user: User = ctx.params()?;
    Ok(Response::json(&user))
}
