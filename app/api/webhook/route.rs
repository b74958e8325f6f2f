//! A webhook: the raw body must carry `x-signature: sha256=<hex HMAC>` with
//! the key `demo-secret`, checked in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use trellis::prelude::*;

const SECRET: &[u8] = b"demo-secret";

pub async fn POST(req: Request) -> Result<Response> {
    if !signed(&req) {
        return Ok(Response::new("Webhook error: invalid signature").with_status(StatusCode::BAD_REQUEST));
    }
    Ok(Response::new("Success!"))
}

fn signed(req: &Request) -> bool {
    let Some(signature) = req.header("x-signature").and_then(|s| s.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(signature) = hex::decode(signature) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(SECRET) else {
        return false;
    };
    mac.update(req.bytes());
    mac.verify_slice(&signature).is_ok()
}
