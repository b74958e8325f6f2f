//! What Trellis is measured against: a raw actix-web server with plain
//! handlers answering exactly what the demo answers for the same paths
//! (the machine's own floor is `floor.rs`).
//!
//! `/api/hello-via-actor` answers `/api/hello` behind one message to an
//! actor on the worker's own thread: the floor for any server that, like
//! Trellis, hands every request to an actor. `/posts` answers the bytes of
//! a Trellis cache hit of `/posts`, fixed: the floor for a hit. `/big`
//! answers a 1 MiB body made once, as `cached-body` serves it from its
//! cache. `/api/blog` answers what the demo's `/api/blog` does with the
//! upstream's part fixed: the floor for a route whose data comes from the
//! data cache. As the demo does with its `trellis.toml` and `app/proxy.rs`,
//! every answer says `x-frame-options: DENY` and every `/api` answer has a
//! new `x-request-id`.
//!
//! `cargo run --release --example raw-actix -- PORT WORKERS [KEEP_ALIVE_SECS]`
//!
//! Keep-alive is actix-web's own 5 s unless given: `idle_connections.sh`
//! holds connections longer.

use std::time::Duration;

use actix::{Actor, Addr, Context, Handler, Message, MessageResult};
use actix_web::http::KeepAlive;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpResponse, HttpServer};
use bytes::Bytes;
use serde_json::{json, Value};

/// What the demo's proxy gives every `/api` answer.
fn with_request_id() -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header(("x-request-id", uuid::Uuid::new_v4().to_string()));
    response
}

async fn hello() -> HttpResponse {
    with_request_id().json(json!({ "message": "Hello World" }))
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
        Ok(body) => with_request_id().json(body),
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
        .insert_header(("etag", "\"4f9c2e0b7d1a36e85b0c9f4a2d7e6b13\""))
        .insert_header(("last-modified", "Mon, 01 Jan 2029 00:00:00 GMT"))
        .insert_header(("cache-status", "trellis; hit"))
        .body(r#"{"generation":1,"generatedAt":1795638237152}"#)
}

/// A 1 MiB body, made once and shared by every worker.
struct BigBody(Bytes);

async fn big(body: web::Data<BigBody>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(body.0.clone())
}

async fn blog() -> HttpResponse {
    let rendered_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    HttpResponse::Ok().json(json!({ "upstream": { "served": 1 }, "renderedAt": rendered_at }))
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
    let keep_alive: u64 = args.next().and_then(|k| k.parse().ok()).unwrap_or(5);
    let body = web::Data::new(BigBody(Bytes::from(vec![b'x'; 1 << 20])));
    HttpServer::new(move || {
        App::new()
            .wrap(DefaultHeaders::new().add(("x-frame-options", "DENY")))
            .app_data(web::Data::new(HelloActor.start()))
            .app_data(body.clone())
            .route("/api/hello", web::get().to(hello))
            .route("/api/hello-via-actor", web::get().to(hello_via_actor))
            .route("/posts", web::get().to(posts_hit_bytes))
            .route("/api/blog", web::get().to(blog))
            .route("/dashboard/{team}", web::get().to(dashboard))
            .route("/items", web::post().to(items))
            .route("/big", web::get().to(big))
    })
    .keep_alive(KeepAlive::Timeout(Duration::from_secs(keep_alive)))
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
