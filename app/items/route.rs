//! The JSON body, echoed: `{"res": <body>}`.

use trellis::prelude::*;

pub async fn POST(req: Request) -> Result<Response> {
    let res: Value = req.json()?;
    Ok(Response::json(&json!({ "res": res })))
}
