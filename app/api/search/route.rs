use trellis::prelude::*;

/// `/api/search?query=hello` gives `{"query":"hello"}`.
pub async fn GET(req: Request) -> Result<Response> {
    let search_params = req.next_url().search_params();
    Ok(Response::json(&json!({ "query": search_params.get("query") })))
}
