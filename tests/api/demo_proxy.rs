//! The demo's "Proxy and routing rules" rows: `app/proxy.rs` with the
//! rules of the repository's `trellis.toml`, as `cargo run` serves them.

use reqwest::Method;
use serde_json::json;
use trellis::Clock;

use crate::test_app::{config_with, json, spawn_with, trellis, TestApp};

/// The demo's own config file, beside its `app/`.
const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/trellis.toml");

/// The demo app with the demo's `trellis.toml`, `DEMO_UPSTREAM` unset (so
/// `/ext/*` is this server's own `/api/*`).
fn demo() -> TestApp {
    let text = std::fs::read_to_string(DEMO_CONFIG).expect("the demo's trellis.toml");
    spawn_with(crate::app::router(), config_with(&text), Clock::System)
}

/// A request id the proxy made: a UUID, `8-4-4-4-12` hex digits.
fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[actix_web::test]
async fn admin_is_gated_by_the_session_cookie_and_the_route_gets_the_session_typed() {
    let app = demo();
    let gate = app.get("/admin/a/b").await;
    assert_eq!(gate.status(), 307);
    assert_eq!(gate.headers()["location"], "/login?from=%2Fadmin%2Fa%2Fb");
    let signed_in = app.get_with("/admin/a/b", "cookie", "session=ada").await;
    assert_eq!(signed_in.status(), 200);
    assert_eq!(
        json(signed_in).await,
        json!({ "user": "ada", "path": ["a", "b"] })
    );
    let forged = app.get_with("/admin/a", "x-session", "ada").await;
    assert_eq!(forged.status(), 307, "a header is no session");
}

#[actix_web::test]
async fn login_says_where_the_visitor_came_from() {
    let app = demo();
    assert_eq!(
        json(app.get("/login?from=%2Fadmin%2Fa").await).await,
        json!({ "login": true, "from": "/admin/a" })
    );
    assert_eq!(
        json(app.get("/login").await).await,
        json!({ "login": true, "from": null })
    );
}

#[actix_web::test]
async fn every_api_request_gets_a_request_id_the_route_reads_and_the_answer_carries() {
    let app = demo();
    let response = app.get("/api/whoami").await;
    let header = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body = json(response).await;
    assert!(is_uuid(&header), "{header}");
    assert_eq!(body, json!({ "requestId": header, "user": null }));
    let own = app
        .builder(Method::GET, "/api/whoami")
        .header("x-request-id", "abc-123")
        .header("cookie", "session=grace")
        .send()
        .await
        .unwrap();
    assert_eq!(own.headers()["x-request-id"], "abc-123");
    assert_eq!(
        json(own).await,
        json!({ "requestId": "abc-123", "user": "grace" })
    );
}

#[actix_web::test]
async fn a_blocked_client_is_answered_by_the_proxy_itself() {
    let app = demo();
    let blocked = app.get_with("/api/hello", "x-block", "1").await;
    assert_eq!(blocked.status(), 403);
    assert_eq!(json(blocked).await, json!({ "error": "blocked" }));
    assert_eq!(app.get("/api/hello").await.status(), 200);
}

#[actix_web::test]
async fn the_old_blog_is_the_blog_with_the_url_unchanged() {
    let app = demo();
    let response = app.get("/old-blog/1/2").await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({ "slug": ["1", "2"] }));
}

#[actix_web::test]
async fn ext_is_another_servers_answer_here_this_servers_own_api() {
    let app = demo();
    let response = app.get("/ext/hello").await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({ "message": "Hello World" }));
}

#[actix_web::test]
async fn promo_redirects_only_with_a_ref() {
    let app = demo();
    let promo = app.get("/promo?ref=x").await;
    assert_eq!(promo.status(), 307);
    assert_eq!(promo.headers()["location"], "/about?ref=x");
    assert_eq!(app.get("/promo").await.status(), 404);
}

#[actix_web::test]
async fn every_answer_may_not_be_framed_404s_included() {
    let app = demo();
    for path in ["/api/hello", "/nowhere", "/admin/x", "/posts"] {
        let response = app.get(path).await;
        assert_eq!(response.headers()["x-frame-options"], "DENY", "{path}");
    }
}

#[actix_web::test]
async fn the_demo_config_checks_and_trellis_routes_lists_the_proxy_and_its_matcher() {
    let checked = trellis(&["check-config", "--config", DEMO_CONFIG]).await;
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let routes = trellis(&["routes", "--config", DEMO_CONFIG]).await;
    let table = String::from_utf8_lossy(&routes.stdout);
    assert!(
        table.contains("ƒ Proxy (Middleware)  app/proxy.rs  matcher: /admin/:path*, /old-blog/:path*, /api/:path*"),
        "{table}"
    );
}
