//! The shared cache never hands one visitor's answer to another: answers
//! made from request data are not stored (and the route turns dynamic, as
//! Next.js's `auto` makes it), waiters get only what was stored, HTTP's own
//! rules for a shared cache hold (RFC 9111), force-static routes see nothing
//! of the visitor, and `Host` and forwarding headers cannot poison it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use trellis::{Clock, Dynamic, Error, PathKind, Request, Response, RouteKind, Router, Segment};

use crate::redis_server::RedisServer;
use crate::test_app::{eventually, json, spawn_router, spawn_with, test_config, TestApp};

fn cache_status(response: &reqwest::Response) -> String {
    response.headers()["cache-status"]
        .to_str()
        .unwrap()
        .to_string()
}

/// A route cached for a minute whose GET counts its runs in `runs` and
/// answers what `answer` makes of the request and the run's number.
fn counting<F>(runs: &Arc<AtomicUsize>, answer: F) -> Segment
where
    F: Fn(&Request, usize) -> trellis::Result<Response> + Send + Sync + 'static,
{
    let runs = runs.clone();
    Segment::new()
        .get(move |req, _| {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            let answer = answer(&req, run);
            async move { answer }
        })
        .revalidate(60)
}

#[actix_web::test]
async fn fifty_visitors_with_fifty_cookies_each_get_their_own_answer_and_cookie() {
    let segment = Segment::new()
        .get(|req, ctx| async move {
            let session = req.cookies().get("session").map(str::to_owned);
            // Long enough for the fifty to pile up behind the first.
            actix_rt::time::sleep(Duration::from_millis(50)).await;
            let session = session.unwrap_or_default();
            ctx.cookies().set("seen", &session)?;
            Ok(Response::json(&json!({ "session": session })))
        })
        .revalidate(60);
    let app = spawn_router(Router::new().route("/me", segment));
    let requests = (0..50).map(|i| {
        let request = app
            .builder(Method::GET, "/me")
            .header("cookie", format!("session=visitor-{i}"));
        async move { (i, request.send().await.expect("the server answers")) }
    });
    for (i, response) in futures_util::future::join_all(requests).await {
        let set_cookies: Vec<_> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            set_cookies,
            [format!("seen=visitor-{i}; Path=/")],
            "visitor {i}"
        );
        assert_eq!(
            cache_status(&response),
            "trellis; fwd=bypass; detail=read-cookies"
        );
        assert_eq!(json(response).await["session"], format!("visitor-{i}"));
    }
    let later = app.get_with("/me", "cookie", "session=late").await;
    assert_eq!(
        cache_status(&later),
        "trellis; fwd=bypass; detail=read-cookies",
        "the route stays dynamic"
    );
    assert_eq!(json(later).await["session"], "late");
}

#[actix_web::test]
async fn a_cached_route_reading_a_header_answers_each_visitor_with_their_value() {
    let segment = Segment::new()
        .get(|req, _| async move { Ok(Response::json(&json!({ "user": req.header("x-user") }))) })
        .revalidate(60);
    let app = spawn_router(Router::new().route("/hello", segment));
    for user in ["ada", "grace", "ada", "linus"] {
        let response = app.get_with("/hello", "x-user", user).await;
        assert_eq!(
            cache_status(&response),
            "trellis; fwd=bypass; detail=read-header"
        );
        assert_eq!(json(response).await["user"], user);
    }
}

#[actix_web::test]
async fn private_no_store_no_cache_and_vary_star_answers_are_made_every_time() {
    let cases = [
        ("cache-control", "private, max-age=60", "private"),
        ("cache-control", "no-store", "no-store"),
        ("cache-control", "no-cache", "no-cache"),
        ("vary", "*", "vary-any"),
        ("vary", "Cookie", "vary-cookie"),
    ];
    for (name, value, detail) in cases {
        let runs = Arc::new(AtomicUsize::new(0));
        let segment = counting(&runs, move |_, _| {
            Response::text("personal").header(name, value)
        });
        let app = spawn_router(Router::new().route("/p", segment));
        for _ in 0..3 {
            let response = app.get("/p").await;
            assert_eq!(
                cache_status(&response),
                format!("trellis; fwd=miss; detail={detail}"),
                "{name}: {value}"
            );
            assert!(
                response
                    .headers()
                    .get("cache-control")
                    .is_none_or(|v| !v.to_str().unwrap().starts_with("s-maxage")),
                "no shared-cache lifetime on an answer kept by nobody"
            );
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3, "{name}: {value}");
    }
}

#[actix_web::test]
async fn statuses_not_cacheable_by_default_are_not_stored() {
    let runs = Arc::new(AtomicUsize::new(0));
    let app = spawn_router(Router::new().route(
        "/limited",
        counting(&runs, |_, _| {
            Ok(Response::text("slow down").with_status(trellis::StatusCode::TOO_MANY_REQUESTS))
        }),
    ));
    for _ in 0..2 {
        let response = app.get("/limited").await;
        assert_eq!(cache_status(&response), "trellis; fwd=miss; detail=status");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn vary_accept_language_keeps_one_variant_per_language() {
    let runs = Arc::new(AtomicUsize::new(0));
    let segment = counting(&runs, |req, _| {
        let greeting = match req.header("accept-language") {
            Some("fr") => "bonjour",
            _ => "hello",
        };
        Response::text(greeting).header("vary", "Accept-Language")
    });
    let app = spawn_router(Router::new().route("/greeting", segment));
    let greet = |language: &'static str| {
        let app = &app;
        async move {
            let response = app.get_with("/greeting", "accept-language", language).await;
            (cache_status(&response), response.text().await.unwrap())
        }
    };
    assert_eq!(
        greet("fr").await,
        ("trellis; fwd=miss; stored".into(), "bonjour".into())
    );
    assert_eq!(
        greet("en").await,
        ("trellis; fwd=miss; stored".into(), "hello".into())
    );
    assert_eq!(greet("fr").await, ("trellis; hit".into(), "bonjour".into()));
    assert_eq!(greet("en").await, ("trellis; hit".into(), "hello".into()));
    assert_eq!(runs.load(Ordering::SeqCst), 2, "one run per language");
}

/// Everything a force-static route could learn of its visitor.
fn echo_visitor(runs: &Arc<AtomicUsize>) -> Segment {
    let runs = runs.clone();
    Segment::new()
        .get(move |req, ctx| {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            let seen = json!({
                "cookie": ctx.cookies().get("session"),
                "header": req.header("x-demo"),
                "query": req.next_url().search_params().get("q"),
                "url": req.url(),
            });
            async move { Ok(Response::json(&json!({ "seen": seen, "run": run }))) }
        })
        .dynamic(Dynamic::ForceStatic)
        .revalidate(5)
}

#[actix_web::test]
async fn a_force_static_route_sees_nothing_of_the_visitor_in_any_regeneration() {
    let runs = Arc::new(AtomicUsize::new(0));
    let router = Router::new().route("/static", echo_visitor(&runs)).route(
        "/revalidate",
        Segment::new().post(|_, ctx| async move {
            Ok(Response::json(
                &ctx.revalidate_path("/static", PathKind::Path).await,
            ))
        }),
    );
    let mut config = test_config();
    config.cache.tick_ms = 50;
    let clock = Clock::manual();
    let app = spawn_with(router, config, clock.clone());
    let expected = json!({
        "cookie": null,
        "header": null,
        "query": null,
        "url": format!("{}/static", app.address),
    });
    let visitor = |query: &'static str| {
        app.builder(Method::GET, &format!("/static{query}"))
            .header("cookie", "session=secret")
            .header("x-demo", "mine")
            .header("host", "evil.example")
    };
    let miss: Value = visitor("?q=1").send().await.unwrap().json().await.unwrap();
    assert_eq!(miss["seen"], expected, "the filling miss");
    app.request(Method::POST, "/revalidate").await;
    let after_path = visitor("?q=2").send().await.unwrap();
    assert_eq!(cache_status(&after_path), "trellis; fwd=stale; stored");
    let after_path: Value = after_path.json().await.unwrap();
    assert_eq!(
        after_path["seen"], expected,
        "the request after revalidate_path"
    );
    assert_eq!(after_path["run"], 2);
    clock.advance(Duration::from_secs(6));
    let refreshed = eventually("the timer's refresh", || async {
        let body: Value = visitor("").send().await.unwrap().json().await.unwrap();
        (body["run"] == 3).then_some(body)
    })
    .await;
    assert_eq!(refreshed["seen"], expected, "the timer's refresh");
}

#[actix_web::test]
async fn a_forged_host_leaves_no_trace_in_what_the_next_visitor_gets() {
    let segment = Segment::new()
        .get(|req, _| async move { Ok(Response::text(req.url())) })
        .revalidate(60);
    let app = spawn_router(Router::new().route("/where", segment));
    let forged = app.get_with("/where", "host", "evil.example").await;
    assert_eq!(
        cache_status(&forged),
        "trellis; fwd=bypass; detail=read-host"
    );
    assert_eq!(forged.text().await.unwrap(), "http://evil.example/where");
    let next = app.get("/where").await.text().await.unwrap();
    assert!(!next.contains("evil"), "{next}");
}

/// `url()` and `client_ip()` of a dynamic route.
fn whoami() -> Router {
    Router::new().route(
        "/whoami",
        Segment::new().get(|req, _| async move {
            Ok(Response::json(&json!({
                "url": req.url(),
                "ip": req.client_ip().map(|ip| ip.to_string()),
            })))
        }),
    )
}

fn forwarded(app: &TestApp) -> reqwest::RequestBuilder {
    app.builder(Method::GET, "/whoami")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "shop.example")
        .header("x-forwarded-for", "203.0.113.9")
}

#[actix_web::test]
async fn forwarding_headers_count_from_a_trusted_proxy_and_from_no_one_else() {
    let trusted = spawn_router(whoami());
    let seen = json(forwarded(&trusted).send().await.unwrap()).await;
    assert_eq!(
        seen,
        json!({ "url": "https://shop.example/whoami", "ip": "203.0.113.9" })
    );
    let mut config = test_config();
    config.server.trusted_proxies = vec!["10.0.0.0/8".into()];
    let untrusted = spawn_with(whoami(), config, Clock::System);
    let seen = json(forwarded(&untrusted).send().await.unwrap()).await;
    let host = untrusted.address.trim_start_matches("http://");
    assert_eq!(
        seen,
        json!({ "url": format!("http://{host}/whoami"), "ip": "127.0.0.1" })
    );
}

#[actix_web::test]
async fn hosts_outside_allowed_hosts_and_hosts_that_are_no_authority_get_400() {
    let mut config = test_config();
    config.server.allowed_hosts = vec!["app.example".into(), "*.app.example".into()];
    let app = spawn_with(whoami(), config, Clock::System);
    for (host, status) in [
        ("app.example", 200),
        ("eu.app.example:8080", 200),
        ("evil.example", 400),
        ("app.example.evil", 400),
    ] {
        let response = app.get_with("/whoami", "host", host).await;
        assert_eq!(response.status(), status, "{host}");
    }
    let any_host = spawn_router(whoami());
    for host in ["evil/x", "a b", "user@app.example"] {
        let answer = any_host
            .raw(&format!("GET /whoami HTTP/1.1\r\nHost: {host}"))
            .await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{host}: {answer}");
    }
}

#[actix_web::test]
async fn a_cached_404_is_fresh_for_negative_ttl_not_the_routes_period() {
    let runs = Arc::new(AtomicUsize::new(0));
    let segment = counting(&runs, |_, _| Err(Error::NotFound)).revalidate(3600);
    let clock = Clock::manual();
    let app = spawn_with(
        Router::new().route("/gone", segment),
        test_config(),
        clock.clone(),
    );
    assert_eq!(
        cache_status(&app.get("/gone").await),
        "trellis; fwd=miss; stored"
    );
    clock.advance(Duration::from_secs(9));
    assert_eq!(cache_status(&app.get("/gone").await), "trellis; hit");
    clock.advance(Duration::from_secs(2));
    let stale = app.get("/gone").await;
    assert_eq!(stale.status(), 404);
    assert!(
        cache_status(&stale).starts_with("trellis; hit; ttl=-"),
        "{}",
        cache_status(&stale)
    );
    eventually("the 404's refresh", || async {
        (runs.load(Ordering::SeqCst) == 2).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn past_expire_a_request_waits_for_a_fresh_answer_instead_of_a_stale_one() {
    let runs = Arc::new(AtomicUsize::new(0));
    let segment = counting(&runs, |_, run| Ok(Response::json(&json!({ "run": run }))))
        .revalidate(2)
        .expire(10);
    let clock = Clock::manual();
    let app = spawn_with(
        Router::new().route("/e", segment),
        test_config(),
        clock.clone(),
    );
    let first = app.get("/e").await;
    assert_eq!(
        first.headers()["cache-control"],
        "s-maxage=2, stale-while-revalidate=8"
    );
    clock.advance(Duration::from_secs(11));
    let late = app.get("/e").await;
    assert_eq!(cache_status(&late), "trellis; fwd=miss; stored");
    assert_eq!(json(late).await["run"], 2, "made for this request");
}

#[actix_web::test]
async fn trellis_routes_marks_a_route_whose_get_the_build_saw_reading_cookies_dynamic() {
    let segment = Segment::new()
        .get(|_, _| async { Ok(Response::text("hi")) })
        .revalidate(60)
        .reads_request_data(".cookies()");
    let rows = Router::new()
        .route("/r", segment)
        .summary(&test_config())
        .unwrap();
    assert_eq!(rows[0].kind, RouteKind::DynamicByRead(".cookies()"));
}

#[actix_web::test]
async fn redis_never_holds_an_answer_that_may_not_be_shared() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let router = Router::new()
        .route(
            "/private",
            Segment::new()
                .get(|_, _| async { Response::text("mine").header("cache-control", "private") })
                .revalidate(60),
        )
        .route(
            "/cookie",
            Segment::new()
                .get(|req, _| async move { Ok(Response::json(&req.cookies().get("a"))) })
                .revalidate(60),
        )
        .route(
            "/public",
            Segment::new()
                .get(|_, _| async { Ok(Response::text("everyone's")) })
                .revalidate(60),
        );
    let mut config = test_config();
    config.cache.store = redis.url();
    config.cache.key_prefix = "safety".into();
    let app = spawn_with(router, config, Clock::System);
    app.get("/private").await;
    app.get_with("/cookie", "cookie", "a=secret").await;
    app.get("/public").await;
    let keys = eventually("the public entry in Redis", || async {
        let keys = redis.command("KEYS safety:e:*").await;
        keys.contains("safety:e:/public").then_some(keys)
    })
    .await;
    assert!(
        !keys.contains("/private") && !keys.contains("/cookie"),
        "{keys}"
    );
}
