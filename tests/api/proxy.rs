//! The proxy (Next.js's `proxy.ts`) over real HTTP: each kind of answer it
//! gives, the typed values it hands to routes, its failures and its time
//! limit, the paths it covers and those it leaves alone, and requests
//! that try to get past it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use trellis::{not_found, Condition, Error, Matcher, Proxy, Response, Router, Segment, StatusCode};

use crate::test_app::{json, spawn_router, TestApp};

/// Who the proxy found signed in, from cookie `user`.
struct User(String);

/// How many times the proxy, and the `/open` route, ran.
#[derive(Clone, Default)]
struct Runs {
    proxy: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

const MATCHER: &[Matcher] = &[
    Matcher::new("/admin/:path*"),
    Matcher::new("/open"),
    Matcher::new("/old/:path*"),
    Matcher::new("/moved"),
    Matcher::new("/boom/:kind"),
    Matcher::new("/slow-route"),
    Matcher::new("/me-cached"),
    Matcher::new("/climb"),
    Matcher::new("/gated/:path*")
        .has(&[Condition::header("x-gate")])
        .missing(&[Condition::query("skip")]),
];

fn user_of(ctx: &trellis::Context) -> Option<String> {
    ctx.extension::<User>().map(|user| user.0.clone())
}

/// Routes behind (and beside) a proxy that does something different for
/// each path it covers.
fn app(runs: &Runs) -> TestApp {
    let open_runs = runs.open.clone();
    let cached_runs = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/open",
            Segment::new().get(move |req, ctx| {
                open_runs.fetch_add(1, Ordering::SeqCst);
                let body = json!({
                    "requestId": req.header("x-request-id"),
                    "removed": req.header("x-remove-me"),
                    "user": user_of(&ctx),
                });
                async move { Ok(Response::json(&body)) }
            }),
        )
        .route(
            "/admin/[...rest]",
            Segment::new().get(|_, ctx| async move {
                Ok(Response::json(
                    &json!({ "user": user_of(&ctx), "rest": ctx.param("rest") }),
                ))
            }),
        )
        .route(
            "/blog/[...slug]",
            Segment::new().get(|_, ctx| async move {
                Ok(Response::json(&json!({ "slug": ctx.param("slug") })))
            }),
        )
        .route(
            "/slow-route",
            Segment::new()
                .get(|_, _| async { Ok(Response::text("on time")) })
                .max_duration(1),
        )
        .route(
            "/cached",
            Segment::new()
                .get(move |_, _| {
                    let run = cached_runs.fetch_add(1, Ordering::SeqCst) + 1;
                    async move { Ok(Response::json(&json!({ "run": run }))) }
                })
                .revalidate(60),
        )
        .route(
            "/me-cached",
            Segment::new()
                .get(|_, ctx| async move { Ok(Response::json(&json!({ "user": user_of(&ctx) }))) })
                .revalidate(60),
        )
        .route(
            "/gated/[x]",
            Segment::new().get(|_, _| async { Ok(Response::text("through")) }),
        );
    let proxy_runs = runs.proxy.clone();
    let router = router.proxy_matching(MATCHER, move |req, ctx| {
        proxy_runs.fetch_add(1, Ordering::SeqCst);
        async move {
            if let Some(user) = ctx.cookies().get("user") {
                ctx.insert(User(user));
            }
            let path = ctx.path().to_string();
            match path.as_str() {
                "/open" if req.header("x-block").is_some() => {
                    let blocked = Response::text("blocked").with_status(StatusCode::FORBIDDEN);
                    Ok(Proxy::respond(blocked))
                }
                "/open" => {
                    ctx.cookies().set("seen", "1")?;
                    Proxy::next()
                        .request_header("x-request-id", "rid-1")?
                        .remove_request_header("x-remove-me")?
                        .header("x-proxy", "yes")
                }
                "/moved" => Ok(Proxy::redirect("/open").permanent()),
                "/boom/panic" => panic!("the proxy fails on purpose"),
                "/boom/error" => Err(Error::from("the proxy fails on purpose")),
                "/boom/not-found" => Err(not_found()),
                "/slow-route" => {
                    actix_rt::time::sleep(Duration::from_secs(2)).await;
                    Ok(Proxy::next())
                }
                "/climb" => {
                    let search_params = req.next_url().search_params();
                    let to = search_params.get("to").unwrap_or_default();
                    Ok(Proxy::rewrite(&format!("/blog/{to}")))
                }
                p if p.starts_with("/old/") => Ok(Proxy::rewrite(&format!("/blog/{}", &p[5..]))),
                p if p.starts_with("/gated/") => Ok(Proxy::respond(
                    Response::text("gated").with_status(StatusCode::FORBIDDEN),
                )),
                p if p.starts_with("/admin") && ctx.cookies().get("user").is_none() => {
                    Ok(Proxy::redirect("/login"))
                }
                _ => Ok(Proxy::next()),
            }
        }
    });
    spawn_router(router)
}

#[actix_web::test]
async fn next_sets_request_headers_hands_typed_values_and_adds_headers_and_cookies() {
    let runs = Runs::default();
    let app = app(&runs);
    let response = app
        .builder(Method::GET, "/open")
        .header("x-request-id", "the-clients-own")
        .header("x-remove-me", "1")
        .header("cookie", "user=ada")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-proxy"], "yes");
    assert_eq!(response.headers()["set-cookie"], "seen=1; Path=/");
    assert_eq!(
        json(response).await,
        json!({ "requestId": "rid-1", "removed": null, "user": "ada" })
    );
    let anonymous = json(app.get("/open").await).await;
    assert_eq!(anonymous["user"], json!(null), "no cookie, no value");
}

#[actix_web::test]
async fn a_rewrite_to_a_path_serves_that_route_with_the_url_unchanged() {
    let app = app(&Runs::default());
    let response = app.get("/old/1/2?x=1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({ "slug": ["1", "2"] }));
}

#[actix_web::test]
async fn a_redirect_is_a_307_and_a_permanent_one_a_308() {
    let app = app(&Runs::default());
    let gate = app.get("/admin/x").await;
    assert_eq!(gate.status(), 307);
    assert_eq!(gate.headers()["location"], "/login");
    let signed_in = app.get_with("/admin/x", "cookie", "user=grace").await;
    assert_eq!(
        json(signed_in).await,
        json!({ "user": "grace", "rest": ["x"] })
    );
    let moved = app.get("/moved").await;
    assert_eq!(moved.status(), 308);
    assert_eq!(moved.headers()["location"], "/open");
}

#[actix_web::test]
async fn an_answer_of_the_proxys_own_keeps_the_route_from_running() {
    let runs = Runs::default();
    let app = app(&runs);
    let response = app.get_with("/open", "x-block", "1").await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.text().await.unwrap(), "blocked");
    assert_eq!(runs.open.load(Ordering::SeqCst), 0);
    assert_eq!(runs.proxy.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn a_proxy_that_panics_or_fails_is_a_500_and_the_server_keeps_serving() {
    let app = app(&Runs::default());
    for path in ["/boom/panic", "/boom/error"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 500, "{path}");
        assert_eq!(response.text().await.unwrap(), "", "{path}");
    }
    let not_found = app.get("/boom/not-found").await;
    assert_eq!(not_found.status(), 404, "an error that chooses its status");
    assert_eq!(not_found.text().await.unwrap(), "", "as notFound() answers");
    assert_eq!(app.get("/open").await.status(), 200);
}

#[actix_web::test]
async fn the_proxy_runs_within_the_routes_max_duration() {
    let app = app(&Runs::default());
    let response = app.get("/slow-route").await;
    assert_eq!(response.status(), 504);
    assert_eq!(
        json(response).await,
        json!({ "error": "proxy ran past maxDuration" })
    );
}

#[actix_web::test]
async fn no_header_a_client_can_send_makes_the_engine_skip_the_proxy() {
    let app = app(&Runs::default());
    // CVE-2025-29927 skipped Next.js middleware with the first of these.
    let forged = [
        (
            "x-middleware-subrequest",
            "middleware:middleware:middleware:middleware:middleware",
        ),
        ("x-middleware-subrequest", "src/middleware:src/proxy"),
        ("x-middleware-prefetch", "1"),
        ("x-nextjs-data", "1"),
        ("x-invoke-path", "/admin/x"),
        ("x-trellis-proxy", "done"),
        ("purpose", "prefetch"),
    ];
    for (name, value) in forged {
        let response = app.get_with("/admin/x", name, value).await;
        assert_eq!(response.status(), 307, "{name}: {value}");
        assert_eq!(response.headers()["location"], "/login", "{name}");
    }
    // The same route by an encoded path: the proxy sees it decoded.
    let encoded = app.raw("GET /%61dmin/x HTTP/1.1").await;
    assert!(encoded.starts_with("HTTP/1.1 307"), "{encoded}");
    assert!(
        encoded
            .to_ascii_lowercase()
            .contains("location: /login\r\n"),
        "{encoded}"
    );
}

#[actix_web::test]
async fn the_engine_endpoints_stay_outside_the_proxy_unless_its_matcher_names_them() {
    let refuse = |_, _| async { Ok(Proxy::respond(Response::empty(StatusCode::FORBIDDEN))) };
    let routes = || {
        Router::new().route(
            "/x",
            Segment::new().get(|_, _| async { Ok(Response::text("x")) }),
        )
    };
    let everywhere = spawn_router(routes().proxy(refuse));
    let catch_all = spawn_router(routes().proxy_matching(["/:path*"], refuse));
    let named = spawn_router(routes().proxy_matching(["/_trellis/:path*"], refuse));
    for (app, x, metrics) in [
        (&everywhere, 403, 200),
        (&catch_all, 403, 200),
        (&named, 200, 403),
    ] {
        assert_eq!(app.get("/x").await.status(), x);
        let response = app.admin(Method::GET, "/_trellis/metrics").await;
        assert_eq!(response.status(), metrics);
    }
}

#[actix_web::test]
async fn a_cached_route_the_matcher_does_not_cover_is_a_fresh_hit_without_the_proxy() {
    let runs = Runs::default();
    let app = app(&runs);
    assert_eq!(json(app.get("/cached").await).await, json!({ "run": 1 }));
    let hit = app.get("/cached").await;
    assert_eq!(hit.headers()["cache-status"], "trellis; hit");
    assert_eq!(json(hit).await, json!({ "run": 1 }));
    assert_eq!(runs.proxy.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn a_value_from_the_proxy_makes_a_cached_routes_answer_that_visitors_alone() {
    let app = app(&Runs::default());
    for user in ["ada", "grace", "ada"] {
        let response = app
            .get_with("/me-cached", "cookie", &format!("user={user}"))
            .await;
        assert_eq!(
            response.headers()["cache-status"],
            "trellis; fwd=bypass; detail=read-proxy-value"
        );
        assert_eq!(json(response).await, json!({ "user": user }));
    }
}

#[actix_web::test]
async fn has_and_missing_on_a_matcher_entry_decide_whether_the_proxy_runs() {
    let app = app(&Runs::default());
    let gated = |headers: &'static [(&'static str, &'static str)], path: &'static str| {
        let mut request = app.builder(Method::GET, path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(gated(&[], "/gated/a").await, 200);
    assert_eq!(gated(&[("x-gate", "1")], "/gated/a").await, 403);
    assert_eq!(gated(&[("x-gate", "1")], "/gated/a?skip=1").await, 200);
}

#[actix_web::test]
async fn a_rewrite_the_request_would_make_climb_out_of_its_path_is_refused() {
    let app = app(&Runs::default());
    let refused = app.get("/climb?to=../admin").await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        json(refused).await,
        json!({ "error": "invalid rewrite destination" })
    );
    assert_eq!(
        json(app.get("/climb?to=a").await).await,
        json!({ "slug": ["a"] })
    );
}
