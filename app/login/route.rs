//! Where the proxy sends `/admin` visitors without a session:
//! `{"login":true,"from":"/admin/a"}`, or `"from":null`.

use trellis::prelude::*;

pub async fn GET(req: Request) -> Result<Response> {
    let search_params = req.next_url().search_params();
    Ok(Response::json(
        &json!({ "login": true, "from": search_params.get("from") }),
    ))
}
