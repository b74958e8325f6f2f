//! `{"requestId":"<id>","user":"<name>"}`: the request id the proxy set as
//! a request header, and the session it handed over (`null` without one).

use trellis::prelude::*;

use super::proxy::Session;

pub async fn GET(req: Request, ctx: Context) -> Result<Response> {
    let user = ctx
        .extension::<Session>()
        .map(|session| session.user.as_str());
    Ok(Response::json(
        &json!({ "requestId": req.header("x-request-id"), "user": user }),
    ))
}
