//! The cookie store of `cookies()`: reads `a`, sets `b=1`, deletes `c`.

use trellis::prelude::*;

pub async fn GET(_req: Request, ctx: Context) -> Result<Response> {
    let cookies = ctx.cookies();
    let a = cookies.get("a");
    cookies.set("b", "1")?;
    cookies.delete("c")?;
    Ok(Response::json(&json!({ "a": a })))
}
