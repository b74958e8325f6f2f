//! One handler shared by several methods and routes, as Next.js's fixtures
//! share theirs (`export { GET, POST } from '../handlers'`): a route file
//! includes this file and re-exports the function under the methods' names.

use trellis::prelude::*;

pub async fn hello(req: Request) -> Result<Response> {
    Ok(Response::json(&json!({
        "method": req.method().as_str(),
        "path": req.next_url().pathname(),
    })))
}
