//! A handler that fails: it panics, or with `?kind=error` returns an error.
//! Either way the client gets 500 and the server keeps serving.

use trellis::prelude::*;

pub async fn GET(req: Request) -> Result<Response> {
    if req.next_url().search_params().get("kind") == Some("error") {
        return Err("boom: the handler returned an error".into());
    }
    panic!("boom: the handler panicked");
}
