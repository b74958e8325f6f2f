//! The floor Trellis is measured against: a raw actix-web server with plain
//! handlers answering exactly what the demo answers for the same paths.
//!
//! `/api/hello-via-actor` answers `/api/hello` behind one message to an
//! actor on the worker's own thread: the floor for any server that, like
//! Trellis, hands every request to an actor. `/posts` answers the bytes of
//! a Trellis cache hit of `/posts`, fixed: the floor for a hit.
//!
//! `cargo run --release --example raw-actix -- PORT WORKERS`

use actix::{Actor, Addr, Context, Handler, Message, MessageResult};
use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

async fn hello() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": "Hello World" }))
}

struct HelloActor;

impl Actor for HelloActor {
    type Context = Context<Self>;
}

struct Hello;

impl Message for Hello {
    type Result = Value;
}

impl Handler<Hello> for HelloActor {
    type Result = MessageResult<Hello>;

    fn handle(&mut self, _: Hello, _: &mut Context<Self>) -> Self::Result {
        MessageResult(json!({ "message": "Hello World" }))
    }
}

async fn hello_via_actor(actor: web::Data<Addr<HelloActor>>) -> HttpResponse {
    match actor.send(Hello).await {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// The bytes Trellis sends for a `/posts` cache hit, fixed: what a hit
/// costs beyond sending its response.
async fn posts_hit_bytes() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            "cache-control",
            "s-maxage=2, stale-while-revalidate=31535998",
        ))
        .insert_header(("content-type", "application/json"))
        .insert_header(("cache-status", "trellis; hit"))
        .body(r#"{"generation":1,"generatedAt":1795638237152}"#)
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
            .app_data(web::Data::new(HelloActor.start()))
            .route("/api/hello", web::get().to(hello))
            .route("/api/hello-via-actor", web::get().to(hello_via_actor))
            .route("/posts", web::get().to(posts_hit_bytes))
            .route("/dashboard/{team}", web::get().to(dashboard))
            .route("/items", web::post().to(items))
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
