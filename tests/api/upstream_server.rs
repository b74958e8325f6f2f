//! `UpstreamServer`: another server for rewrites to reach, a small actix-web
//! app on a free port of its own. `/echo/...` streams the request body back
//! chunk by chunk as it arrives and says, in `x-seen-*` headers, what it was
//! sent; `/slow` answers after two seconds; `/teapot` answers 418 with a
//! hop-by-hop header that must not reach the client.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

pub struct UpstreamServer {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    handle: ServerHandle,
}

impl UpstreamServer {
    /// Starts it on one worker. Call inside `#[actix_web::test]`.
    pub fn start() -> UpstreamServer {
        let server = HttpServer::new(|| {
            App::new()
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
        UpstreamServer { address, handle }
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
