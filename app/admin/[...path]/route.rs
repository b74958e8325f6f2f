//! Behind the proxy's session gate: `/admin/a/b` gives
//! `{"user":"<name>","path":["a","b"]}` to a visitor with a `session`
//! cookie; the proxy sends anyone else to `/login`.

use trellis::prelude::*;

use super::proxy::Session;

pub async fn GET(ctx: Context) -> Result<Response> {
    // The proxy lets no one here without a session; a second lock anyway.
    let Some(session) = ctx.extension::<Session>() else {
        return Err(Error::Status(StatusCode::UNAUTHORIZED));
    };
    Ok(Response::json(
        &json!({ "user": session.user, "path": ctx.param("path") }),
    ))
}
