//! The proxy's cost, measured by `benches/compare.sh`: one Trellis server
//! answering `/api/hello` as the demo does, three ways. `/api/hello` itself,
//! outside the proxy's matcher; `/behind/hello`, the same route behind a
//! proxy that returns `Proxy::next()`; and `/rewritten/hello`, a
//! `beforeFiles` rewrite to `/api/hello`.
//!
//! `cargo run --release --example trellis-proxied -- PORT WORKERS`

use serde_json::json;
use trellis::{Config, Proxy, Response, Router, Segment, Server};

fn hello() -> Segment {
    Segment::new().get(|_, _| async { Ok(Response::json(&json!({ "message": "Hello World" }))) })
}

const RULES: &str = r#"
[[rewrites]]
source = "/rewritten/hello"
destination = "/api/hello"
phase = "beforeFiles"
"#;

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut config = Config::parse(RULES)?;
    config.server.port = args.next().and_then(|p| p.parse().ok()).unwrap_or(3003);
    config.server.workers = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    let router = Router::new()
        .route("/api/hello", hello())
        .route("/behind/hello", hello())
        .proxy_matching(["/behind/:path*"], |_, _| async { Ok(Proxy::next()) });
    Server::build(config, router)?.run_until_stopped().await?;
    Ok(())
}
