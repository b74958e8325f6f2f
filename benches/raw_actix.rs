//! What Trellis is measured against: a raw actix-web server with plain
//! handlers answering exactly what the demo answers for the same paths
//! (the machine's own floor is `floor.rs`).
//!
//! `/api/hello-via-actor` answers `/api/hello` behind one message to an
//! actor on the worker's own thread: the floor for any server that, like
//! Trellis, hands every request to an actor. `/posts` answers the bytes of
//! a Trellis cache hit of `/posts`, fixed: the floor for a hit. `/big`
//! answers a 1 MiB body made once, as `cached-body` serves it from its
//! cache. `/api/blog` does what the demo's `/api/blog` does with the
//! upstream's answer looked up in a map in memory: the floor for a route
//! whose data comes from the data cache. As the demo does with its `trellis.toml` and `app/proxy.rs`,
//! every answer says `x-frame-options: DENY`, and every `/api` request goes
//! through middleware doing what the demo's proxy does for it (the session
//! cookie read, the `x-block` check, a request id handed to the route and
//! the answer).
//!
//! `cargo run --release --example raw-actix -- PORT WORKERS [KEEP_ALIVE_SECS]`
//!
//! Keep-alive is actix-web's own 5 s unless given: `idle_connections.sh`
//! holds connections longer.

use std::collections::HashMap;
use std::time::Duration;

use actix::{Actor, Addr, Context, Handler, Message, MessageResult};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::KeepAlive;
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{web, App, HttpMessage, HttpResponse, HttpServer};
use bytes::Bytes;
use serde_json::{json, Value};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What `app/proxy.rs` does for an `/api` request, as actix-web middleware:
/// the `session` cookie read and handed on, `x-block: 1` answered 403, and
/// the client's request id (if short) or a new one set on the request the
/// route sees and on the answer.
async fn like_the_demo_proxy(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.path().starts_with("/api/") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let session = req
        .cookie("session")
        .map(|cookie| cookie.value().to_string())
        .filter(|user| !user.is_empty());
    if req.headers().get("x-block").is_some_and(|v| v == "1") {
        let blocked = HttpResponse::Forbidden().json(json!({ "error": "blocked" }));
        return Ok(req.into_response(blocked).map_into_right_body());
    }
    // Handed to the routes, as the demo's proxy hands over its `Session`.
    if let Some(user) = session {
        req.extensions_mut().insert(user);
    }
    let request_id = match req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
    {
        Some(id) if !id.is_empty() && id.len() <= 128 => id.to_string(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let request_id = HeaderValue::from_str(&request_id)?;
    req.headers_mut().insert(X_REQUEST_ID, request_id.clone());
    let mut response = next.call(req).await?;
    response.headers_mut().insert(X_REQUEST_ID, request_id);
    Ok(response.map_into_left_body())
}

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

/// The upstream's answers by URL, held in memory where the demo's data
/// cache holds them.
struct UpstreamAnswers(HashMap<String, Bytes>);

/// What the demo's `/api/blog` does, its data cache aside: the upstream's
/// URL made from `DEMO_UPSTREAM`, its answer (here looked up in memory)
/// parsed, and the page built around it.
async fn blog(answers: web::Data<UpstreamAnswers>) -> HttpResponse {
    let upstream = std::env::var("DEMO_UPSTREAM").unwrap_or_else(|_| "/api".to_string());
    let url = format!("{upstream}/upstream/posts");
    let parsed = answers
        .0
        .get(&url)
        .map(|body| serde_json::from_slice::<Value>(body));
    let Some(Ok(upstream)) = parsed else {
        return HttpResponse::BadGateway().finish();
    };
    let rendered_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    HttpResponse::Ok().json(json!({ "upstream": upstream, "renderedAt": rendered_at }))
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
    let answers = HashMap::from([(
        "/api/upstream/posts".to_string(),
        Bytes::from_static(br#"{"served":1}"#),
    )]);
    let answers = web::Data::new(UpstreamAnswers(answers));
    HttpServer::new(move || {
        App::new()
            .wrap(from_fn(like_the_demo_proxy))
            .wrap(DefaultHeaders::new().add(("x-frame-options", "DENY")))
            .app_data(web::Data::new(HelloActor.start()))
            .app_data(body.clone())
            .app_data(answers.clone())
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
