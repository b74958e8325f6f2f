//! The demo's proxy, as a Next.js app's `proxy.ts`: a session gate on
//! `/admin`, a request id on every `/api` request, an early answer for a
//! blocked client, and the old blog's URLs served by the blog.

use trellis::prelude::*;

pub const MATCHER: &[&str] = &["/admin/:path*", "/old-blog/:path*", "/api/:path*"];

/// Who is signed in, read once from the `session` cookie and handed to the
/// routes as it is: `ctx.extension::<Session>()`, nothing to parse again.
pub struct Session {
    pub user: String,
}

/// A request id the client sends is kept if it is at most this long.
const MAX_REQUEST_ID: usize = 128;

pub async fn proxy(req: Request, ctx: ProxyContext) -> Result<Proxy> {
    // As the routes read it: `/%61dmin` is `/admin` here too.
    let path = ctx.path();
    let session = ctx.cookies().get("session").filter(|user| !user.is_empty());
    if path == "/admin" || path.starts_with("/admin/") {
        let Some(user) = session else {
            let from: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            return Ok(Proxy::redirect(&format!("/login?from={from}")));
        };
        ctx.insert(Session { user });
        return Ok(Proxy::next());
    }
    // The path as sent, still percent-encoded: the URL to serve instead.
    if let Some(rest) = req.next_url().pathname().strip_prefix("/old-blog") {
        return Ok(Proxy::rewrite(&format!("/blog{rest}")));
    }
    if req.header("x-block") == Some("1") {
        let blocked = Response::json(&json!({ "error": "blocked" }));
        return Ok(Proxy::respond(blocked.with_status(StatusCode::FORBIDDEN)));
    }
    if let Some(user) = session {
        ctx.insert(Session { user });
    }
    let request_id = match req.header("x-request-id") {
        Some(id) if !id.is_empty() && id.len() <= MAX_REQUEST_ID => id.to_string(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    Proxy::next()
        .request_header("x-request-id", &request_id)?
        .header("x-request-id", &request_id)
}
