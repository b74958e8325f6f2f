//! `trellis.toml`'s routing rules over real HTTP: header rules on every
//! answer, redirects and rewrites with `has` and `missing`, the order of
//! evaluation as Next.js has it, `base_path`, trailing slashes in each
//! setting, and what `trellis check-config` refuses.

use serde_json::{json, Value};
use trellis::{Clock, Proxy, Response, Router, Segment, StatusCode};

use crate::test_app::{config_with, json, spawn_with, trellis, ConfigFile, TestApp};

/// A route answering its name, its params and the URL it was given.
fn named(name: &'static str) -> Segment {
    Segment::new().get(move |req, ctx| async move {
        let url = req.next_url();
        Ok(Response::json(&json!({
            "route": name,
            "params": ctx.all_params(),
            "path": url.pathname(),
            "query": url.search_params().iter().collect::<Vec<_>>(),
        })))
    })
}

fn routes() -> Router {
    Router::new()
        .route("/", named("root"))
        .route("/static", named("static"))
        .route("/shadowed", named("shadowed"))
        .route("/items/[id]", named("items"))
        .route("/query", named("query"))
        .route("/feed.xml", named("feed"))
}

fn serve(router: Router, text: &str) -> TestApp {
    spawn_with(router, config_with(text), Clock::System)
}

async fn route_of(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    json(response).await
}

async fn location(app: &TestApp, path: &str, status: u16) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), status, "{path}");
    response.headers()["location"].to_str().unwrap().to_string()
}

#[actix_web::test]
async fn header_rules_apply_to_every_answer_404s_included_when_their_conditions_hold() {
    let app = serve(
        routes(),
        r#"
[[headers]]
source = "/:path*"
headers = { x-frame-options = "DENY" }

[[headers]]
source = "/items/:id"
headers = { x-debug = "on" }
has = [{ type = "header", key = "x-debug" }]

[[headers]]
source = "/items/:id"
headers = { x-frame-options = "SAMEORIGIN" }
missing = [{ type = "cookie", key = "strict" }]
"#,
    );
    let missing = app.get("/nowhere").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-frame-options"], "DENY");
    assert_eq!(app.get("/").await.headers()["x-frame-options"], "DENY");
    let item = app.get("/items/1").await;
    assert_eq!(
        item.headers()["x-frame-options"],
        "SAMEORIGIN",
        "the later rule wins"
    );
    assert!(item.headers().get("x-debug").is_none());
    let debugged = app.get_with("/items/1", "x-debug", "1").await;
    assert_eq!(debugged.headers()["x-debug"], "on");
    let strict = app.get_with("/items/1", "cookie", "strict=1").await;
    assert_eq!(strict.headers()["x-frame-options"], "DENY");
}

#[actix_web::test]
async fn redirect_rules_have_conditions_and_the_status_they_choose() {
    let app = serve(
        routes(),
        r#"
[[redirects]]
source = "/promo"
destination = "/static"
permanent = false
has = [{ type = "query", key = "ref" }]

[[redirects]]
source = "/old/:slug"
destination = "/new/:slug"
status_code = 301
missing = [{ type = "cookie", key = "stay" }]
"#,
    );
    assert_eq!(location(&app, "/promo?ref=x", 307).await, "/static?ref=x");
    assert_eq!(app.get("/promo").await.status(), 404);
    assert_eq!(location(&app, "/old/a%20b", 301).await, "/new/a%20b");
    assert_eq!(
        app.get_with("/old/a", "cookie", "stay=1").await.status(),
        404
    );
}

#[actix_web::test]
async fn evaluation_goes_headers_redirects_proxy_before_files_routes_after_files_dynamic_fallback()
{
    let router = routes().proxy_matching(["/redirected", "/proxied"], |_, ctx| async move {
        match ctx.path() {
            "/proxied" => Ok(Proxy::rewrite("/before")),
            _ => Ok(Proxy::respond(Response::empty(StatusCode::FORBIDDEN))),
        }
    });
    let app = serve(
        router,
        r#"
[[headers]]
source = "/redirected"
headers = { x-rule = "headers" }

[[redirects]]
source = "/redirected"
destination = "/static"
permanent = true

[[rewrites]]
source = "/shadowed"
destination = "/static"
phase = "beforeFiles"

[[rewrites]]
source = "/before"
destination = "/static"
phase = "beforeFiles"

[[rewrites]]
source = "/static"
destination = "/items/after-files"
phase = "afterFiles"

[[rewrites]]
source = "/items/special"
destination = "/static"
phase = "afterFiles"

[[rewrites]]
source = "/items/:id"
destination = "/static"
phase = "fallback"

[[rewrites]]
source = "/gone/:path*"
destination = "/static"
phase = "fallback"
"#,
    );
    // Headers first and redirects next: the proxy (a 403) never runs.
    let redirected = app.get("/redirected").await;
    assert_eq!(redirected.status(), 308);
    assert_eq!(redirected.headers()["location"], "/static");
    assert_eq!(redirected.headers()["x-rule"], "headers");
    let cases = [
        // The proxy's rewrite, then a beforeFiles rewrite of its result.
        ("/proxied", "static"),
        // beforeFiles comes before the route that has the path.
        ("/shadowed", "static"),
        // A static route comes before afterFiles.
        ("/static", "static"),
        // afterFiles comes before a dynamic route.
        ("/items/special", "static"),
        // A dynamic route comes before fallback.
        ("/items/7", "items"),
        // fallback, when nothing serves the path.
        ("/gone/x", "static"),
    ];
    for (path, route) in cases {
        assert_eq!(route_of(&app, path).await["route"], route, "{path}");
    }
    assert_eq!(app.get("/nothing").await.status(), 404);
    let rewritten = route_of(&app, "/shadowed").await;
    assert_eq!(
        rewritten["path"], "/static",
        "the route sees the path it serves"
    );
}

#[actix_web::test]
async fn a_rewrite_fills_its_params_in_and_keeps_the_query() {
    let app = serve(
        routes(),
        r#"
[[rewrites]]
source = "/search/:term"
destination = "/query?q=:term"
phase = "beforeFiles"

[[rewrites]]
source = "/hosted"
destination = "/items/:store"
has = [{ type = "host", value = "(?<store>[a-z]+)\\.example\\.com" }]
"#,
    );
    let query = route_of(&app, "/search/a%20b?page=2").await;
    assert_eq!(query["route"], "query");
    assert_eq!(query["query"], json!([["q", "a b"], ["page", "2"]]));
    let hosted = app.get_with("/hosted", "host", "shop.example.com").await;
    assert_eq!(
        json(hosted).await["params"],
        json!({ "id": "shop" }),
        "a condition's capture fills the destination"
    );
    assert_eq!(app.get("/hosted").await.status(), 404);
}

#[actix_web::test]
async fn a_base_path_serves_the_app_under_it_and_nothing_outside_it() {
    let app = serve(
        routes(),
        r#"
[routing]
base_path = "/docs"

[[redirects]]
source = "/old"
destination = "/static"
permanent = true
"#,
    );
    let inside = route_of(&app, "/docs/static").await;
    assert_eq!(inside["route"], "static");
    assert_eq!(
        inside["path"], "/static",
        "routes see their path without the base path"
    );
    assert_eq!(route_of(&app, "/docs").await["route"], "root");
    assert_eq!(app.get("/static").await.status(), 404);
    assert_eq!(location(&app, "/docs/", 308).await, "/docs");
    assert_eq!(location(&app, "/docs/old", 308).await, "/docs/static");
    assert!(
        !app.metrics().await.is_empty(),
        "the engine's endpoints stay where they are"
    );
}

#[actix_web::test]
async fn trailing_slash_true_redirects_to_the_slash_form_and_serves_it() {
    let app = serve(routes(), "[routing]\ntrailing_slash = true\n");
    assert_eq!(location(&app, "/static", 308).await, "/static/");
    assert_eq!(location(&app, "/items/7?x=1", 308).await, "/items/7/?x=1");
    assert_eq!(route_of(&app, "/static/").await["route"], "static");
    assert_eq!(
        route_of(&app, "/items/7/").await["params"],
        json!({ "id": "7" })
    );
    assert_eq!(
        route_of(&app, "/feed.xml").await["route"],
        "feed",
        "a file keeps no slash"
    );
    assert_eq!(location(&app, "/feed.xml/", 308).await, "/feed.xml");
    assert_eq!(route_of(&app, "/").await["route"], "root");
}

#[actix_web::test]
async fn trailing_slash_false_redirects_to_the_form_without_it() {
    let app = serve(routes(), "[routing]\ntrailing_slash = false\n");
    assert_eq!(location(&app, "/static/", 308).await, "/static");
    assert_eq!(route_of(&app, "/static").await["route"], "static");
}

#[actix_web::test]
async fn skip_trailing_slash_redirect_serves_both_forms() {
    let app = serve(routes(), "[routing]\nskip_trailing_slash_redirect = true\n");
    assert_eq!(route_of(&app, "/static/").await["route"], "static");
    assert_eq!(route_of(&app, "/static").await["route"], "static");
    assert_eq!(
        location(&app, "//static", 308).await,
        "/static",
        "doubled slashes still collapse"
    );
}

#[actix_web::test]
async fn check_config_refuses_rules_that_cannot_work_saying_why() {
    let cases = [
        (
            "[[rewrites]]\nsource = \"/a/:x\"\ndestination = \"/b/:y\"\n",
            "line 2: `rewrites.destination`: the destination uses `:y`",
        ),
        (
            "[[redirects]]\nsource = \"/a/:p*\"\ndestination = \"/a/b/:p*\"\npermanent = true\n",
            "would redirect again",
        ),
        (
            "[[rewrites]]\nsource = \"/loop/:p*\"\ndestination = \"${self}/loop/:p*\"\n",
            "would come back forever",
        ),
        (
            "[[rewrites]]\nsource = \"/a*\"\ndestination = \"/b\"\n",
            "follows no parameter",
        ),
        (
            "[[rewrites]]\nsource = \"/a\"\ndestination = \"${TRELLIS_TEST_NEVER_SET}/b\"\n",
            "`TRELLIS_TEST_NEVER_SET` is not set",
        ),
        (
            "[[rewrites]]\nsource = \"/a/:host\"\ndestination = \"https://:host.example/x\"\n",
            "params belong in the path",
        ),
        (
            "[[redirects]]\nsource = \"/a\"\ndestination = \"/b\"\n",
            "`permanent = true`",
        ),
        (
            "[[headers]]\nsource = \"/a\"\nheaders = {}\nhas = [{ type = \"host\" }]\n",
            "needs a `value`",
        ),
        ("[routing]\nbase_path = \"docs/\"\n", "`routing.base_path`"),
    ];
    for (i, (text, says)) in cases.into_iter().enumerate() {
        let file = ConfigFile::new(&format!("routing{i}"), text);
        let output = trellis(&["check-config", "--config", file.path()]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text}");
        assert!(stderr.contains(says), "{text}: {stderr}");
    }
}
