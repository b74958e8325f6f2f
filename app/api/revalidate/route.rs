//! On-demand revalidation: `?path=/posts` (with `&type=page` for a route
//! pattern such as `/products/[id]`, `&type=layout` for a prefix) or
//! `?tag=posts` (stale while revalidating, as `revalidateTag(tag, "max")`).

use trellis::prelude::*;

pub async fn POST(req: Request, ctx: Context) -> Result<Response> {
    let query = req.next_url().search_params();
    match (query.get("path"), query.get("tag")) {
        (Some(path), _) => {
            let kind = query.get("type").unwrap_or("path").parse().map_err(Error::BadRequest)?;
            ctx.revalidate_path(path, kind).await
        }
        (None, Some(tag)) => ctx.revalidate_tag(tag, "max").await,
        (None, None) => return Err(Error::BadRequest("give ?path= or ?tag=".into())),
    };
    Ok(Response::json(&json!({ "revalidated": true, "now": trellis::time::unix_millis() })))
}
