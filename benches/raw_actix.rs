//! The floor Trellis is measured against: a raw actix-web server with plain
//! handlers answering exactly what the demo answers for the same paths.
//!
//! `cargo run --release --example raw-actix -- PORT WORKERS`

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

async fn hello() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": "Hello World" }))
}

async fn dashboard(team: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "team": team.into_inner() }))
}

async fn items(body: web::Json<Value>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "res": body.into_inner() }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(3001);
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    HttpServer::new(|| {
        App::new()
            .route("/api/hello", web::get().to(hello))
            .route("/dashboard/{team}", web::get().to(dashboard))
            .route("/items", web::post().to(items))
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
