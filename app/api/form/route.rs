//! Form data, URL-encoded or multipart.

use trellis::prelude::*;

pub async fn POST(req: Request) -> Result<Response> {
    let form = req.form().await?;
    Ok(Response::json(&json!({
        "name": form.get_text("name"),
        "email": form.get_text("email"),
    })))
}
