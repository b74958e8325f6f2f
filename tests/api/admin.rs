//! The engine's own endpoints from outside: the admin token on every call,
//! loopback included; no call from another site or origin; the metrics
//! behind the token unless public; `trellis revalidate` with the token.

use reqwest::header::{AUTHORIZATION, HOST};
use reqwest::Method;
use trellis::{Clock, Config, Server};

use crate::test_app::{json, spawn_with, test_config, trellis_with_env, TestApp, ADMIN_TOKEN};

const REVALIDATE: &str = "/_trellis/revalidate?path=/posts";
const METRICS: &str = "/_trellis/metrics";

/// The demo app with `test_config()` changed by `configure`.
fn demo(configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = test_config();
    configure(&mut config);
    spawn_with(crate::app::router(), config, Clock::manual())
}

#[actix_web::test]
async fn without_a_configured_token_the_admin_endpoints_answer_403_saying_how_to_set_one() {
    let app = demo(|config| config.admin.token = None);
    for (method, path) in [(Method::POST, REVALIDATE), (Method::GET, METRICS)] {
        let response = app.admin(method, path).await;
        assert_eq!(response.status(), 403, "{path}");
        let body = json(response).await;
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("`[admin] token`") && error.contains("TRELLIS_ADMIN__TOKEN"),
            "{path}: {error}"
        );
    }
}

#[actix_web::test]
async fn loopback_needs_the_token_like_anyone_else() {
    let app = demo(|_| {});
    let without = app.request(Method::POST, REVALIDATE).await;
    assert_eq!(without.status(), 403, "no token");
    for authorization in [
        "Bearer not-the-token".to_string(),
        "Bearer ".to_string(),
        format!("Basic {ADMIN_TOKEN}"),
        ADMIN_TOKEN.to_string(),
    ] {
        let response = app
            .builder(Method::POST, REVALIDATE)
            .header(AUTHORIZATION, &authorization)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{authorization}");
    }
    let right = app.admin(Method::POST, REVALIDATE).await;
    assert_eq!(right.status(), 200);
    assert_eq!(json(right).await["revalidated"], true);
}

#[actix_web::test]
async fn a_cross_site_or_foreign_origin_call_is_refused_even_with_the_token() {
    let app = demo(|_| {});
    let own_origin = app.address.clone();
    let cases: [(&str, &str, u16); 9] = [
        ("sec-fetch-site", "cross-site", 403),
        ("sec-fetch-site", "same-site", 403),
        ("sec-fetch-site", "same-origin", 200),
        ("sec-fetch-site", "none", 200),
        ("origin", "https://evil.example", 403),
        ("origin", "null", 403),
        ("origin", own_origin.as_str(), 200),
        // A Host that is no authority is refused before any endpoint.
        ("host", "user@evil.example", 400),
        ("host", "localhost:99999", 400),
    ];
    for (name, value, status) in cases {
        let response = app
            .builder(Method::POST, REVALIDATE)
            .bearer_auth(ADMIN_TOKEN)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{name}: {value}");
    }
    // The Origin is compared with the Host the request was sent with.
    let proxied = app
        .builder(Method::POST, REVALIDATE)
        .bearer_auth(ADMIN_TOKEN)
        .header(HOST, "admin.example")
        .header("origin", "https://admin.example")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 200);
}

#[actix_web::test]
async fn the_metrics_need_the_token_unless_public() {
    let app = demo(|_| {});
    assert_eq!(app.get(METRICS).await.status(), 403);
    assert!(app.metrics().await.contains("trellis_"));
    let cross_site = app
        .builder(Method::GET, METRICS)
        .bearer_auth(ADMIN_TOKEN)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);

    let public = demo(|config| {
        config.admin.token = None;
        config.admin.metrics_public = true;
    });
    let response = public.get(METRICS).await;
    assert_eq!(response.status(), 200, "no token needed");
    assert!(response.text().await.unwrap().contains("trellis_"));
    assert_eq!(
        public.admin(Method::POST, REVALIDATE).await.status(),
        403,
        "revalidation stays closed"
    );
}

#[actix_web::test]
async fn an_empty_token_stops_the_server_from_starting() {
    let mut config = test_config();
    config.admin.token = Some(String::new());
    let error = Server::build_with_clock(config, crate::app::router(), Clock::System)
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("`admin.token`: is empty"), "{error}");
}

#[actix_web::test]
async fn trellis_revalidate_sends_the_token_it_finds_in_the_environment() {
    let app = demo(|_| {});
    let args = [
        "revalidate",
        "--path",
        "/posts",
        "--url",
        app.address.as_str(),
    ];
    let output = trellis_with_env(&args, &[("TRELLIS_ADMIN__TOKEN", ADMIN_TOKEN)]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = trellis_with_env(&args, &[("TRELLIS_ADMIN__TOKEN", "wrong")]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("403"),
        "{stderr}"
    );
    let output = trellis_with_env(&args, &[]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("no admin token"),
        "{stderr}"
    );
}
