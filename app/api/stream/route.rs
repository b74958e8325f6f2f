//! An async generator turned into a response stream: each chunk is sent as
//! it is made, 200 ms apart.

use std::time::Duration;

use trellis::prelude::*;

pub async fn GET() -> Result<Response> {
    Ok(Response::stream(stream! {
        for (i, chunk) in ["<p>One</p>", "<p>Two</p>", "<p>Three</p>"].into_iter().enumerate() {
            if i > 0 {
                trellis::time::sleep(Duration::from_millis(200)).await;
            }
            yield chunk;
        }
    }))
}
