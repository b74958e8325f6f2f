//! `UpstreamServer`: another server for the tests to reach, a small actix-web
//! app on a free port of its own, as a service behind a route would be.
//!
//! For rewrites, `/echo/...` (and any path not named below) streams the
//! request body back chunk by chunk as it arrives and says, in `x-seen-*`
//! headers, what it was sent; `/slow` answers after two seconds; `/teapot`
//! answers 418 with a hop-by-hop header that must not reach the client.
//!
//! For the data cache, `/posts` counts its calls (`{"call":N}`), and can be
//! told to be slow, or to fail with 502.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::json;

pub struct UpstreamServer {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    posts: Arc<Posts>,
    handle: ServerHandle,
}

/// What `/posts` has been told, and how often it was called.
#[derive(Default)]
struct Posts {
    calls: AtomicUsize,
    failing: AtomicBool,
    delay_ms: AtomicU64,
}

impl UpstreamServer {
    /// Starts it on one worker. Call inside `#[actix_web::test]`.
    pub fn start() -> UpstreamServer {
        let posts = Arc::new(Posts::default());
        let state = web::Data::from(posts.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/posts", web::get().to(posts_answer))
                .route("/slow", web::to(slow))
                .route("/teapot", web::to(teapot))
                .default_service(web::to(echo))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("the upstream binds");
        let address = format!("http://{}", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        UpstreamServer {
            address,
            posts,
            handle,
        }
    }

    /// The URL of its `/posts`.
    pub fn posts_url(&self) -> String {
        format!("{}/posts", self.address)
    }

    /// How many requests reached `/posts`.
    pub fn calls(&self) -> usize {
        self.posts.calls.load(Ordering::SeqCst)
    }

    /// From now on `/posts` answers 502 (`true`) or 200.
    pub fn fail(&self, failing: bool) {
        self.posts.failing.store(failing, Ordering::SeqCst);
    }

    /// From now on each answer of `/posts` waits this long first.
    pub fn delay(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.posts.delay_ms.store(millis, Ordering::SeqCst);
    }
}

impl Drop for UpstreamServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// An address nothing listens on: bound for a moment, then let go.
pub fn closed_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{address}")
}

/// `{"call":N}`, the Nth call counted once its delay has passed.
async fn posts_answer(posts: web::Data<Posts>) -> HttpResponse {
    let wait = posts.delay_ms.load(Ordering::SeqCst);
    if wait > 0 {
        actix_rt::time::sleep(Duration::from_millis(wait)).await;
    }
    let call = posts.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let mut answer = match posts.failing.load(Ordering::SeqCst) {
        true => HttpResponse::BadGateway(),
        false => HttpResponse::Ok(),
    };
    answer.json(json!({ "call": call }))
}

/// The request body back as it comes, with what the request carried.
async fn echo(req: HttpRequest, body: web::Payload) -> HttpResponse {
    let seen = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string()
    };
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    HttpResponse::Ok()
        .insert_header(("content-type", "text/plain"))
        .insert_header(("x-seen-method", req.method().as_str()))
        .insert_header(("x-seen-target", target))
        .insert_header(("x-seen-host", seen("host")))
        .insert_header(("x-seen-forwarded-for", seen("x-forwarded-for")))
        .insert_header(("x-seen-forwarded-host", seen("x-forwarded-host")))
        .insert_header(("x-seen-forwarded-proto", seen("x-forwarded-proto")))
        .insert_header(("x-seen-secret-hop", seen("x-secret-hop")))
        .insert_header(("x-seen-te", seen("te")))
        .insert_header(("x-seen-request-id", seen("x-request-id")))
        .streaming(body)
}

async fn slow() -> HttpResponse {
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    HttpResponse::Ok().body("late")
}

async fn teapot() -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::IM_A_TEAPOT)
        .insert_header(("proxy-authenticate", "Basic realm=\"upstream\""))
        .insert_header(("x-upstream", "yes"))
        .body("short and stout")
}
