//! The JSON body, echoed: `{"res": <body>}`.

use trellis::prelude::*;

pub async fn POST(req: Request) -> Result<Response> {
    let res: serde_json::Value = req.json()?;
    Ok(Response::json(&json!({ "res": res })))
}
