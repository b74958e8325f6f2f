//! On-demand revalidation: `?path=/posts` or `?tag=posts`.

use trellis::prelude::*;

pub async fn POST(req: Request, ctx: Context) -> Result<Response> {
    let query = req.next_url().search_params();
    match (query.get("path"), query.get("tag")) {
        (Some(path), _) => ctx.revalidate_path(path).await,
        (None, Some(tag)) => ctx.revalidate_tag(tag).await,
        (None, None) => return Err(Error::BadRequest("give ?path= or ?tag=".into())),
    };
    Ok(Response::json(&json!({ "revalidated": true, "now": trellis::time::unix_millis() })))
}
