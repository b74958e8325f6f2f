//! The demo's routing rows: static, dynamic, catch-all and optional
//! catch-all segments, route groups, priority, and path canonicalization.

use serde_json::json;
use trellis::{Response, Router, Segment};

use crate::test_app::{json, spawn_app, spawn_router, TestApp};

#[actix_web::test]
async fn every_routing_row_of_the_demo_answers_as_the_contract_writes() {
    let app = spawn_app();
    let rows = [
        ("/api/hello", json!({"message": "Hello World"})),
        ("/api/get-only", json!({"ok": true})),
        ("/api/search?query=hello", json!({"query": "hello"})),
        ("/api/search", json!({"query": null})),
        ("/dashboard/1", json!({"team": "1"})),
        ("/shop/1/2", json!({"tag": "1", "item": "2"})),
        ("/blog/1/2", json!({"slug": ["1", "2"]})),
        ("/docs", json!({"slug": null})),
        ("/docs/a/b", json!({"slug": ["a", "b"]})),
        ("/items/a", json!({"slug": "a"})),
        ("/users/42", json!({"id": "42"})),
        ("/about", json!({"page": "about"})),
    ];
    for (path, expected) in rows {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        assert_eq!(json(response).await, expected, "{path}");
    }
}

#[actix_web::test]
async fn json_bodies_are_compact_and_keep_the_order_written() {
    let app = spawn_app();
    let body = app.get("/shop/1/2").await.text().await.unwrap();
    assert_eq!(body, r#"{"tag":"1","item":"2"}"#);
}

#[actix_web::test]
async fn search_params_follow_url_search_params() {
    let app = spawn_app();
    let cases = [
        ("/api/search?query=a+b", json!("a b")),
        ("/api/search?query=x&query=y", json!("x")),
        ("/api/search?query=", json!("")),
        ("/api/search?query=caf%C3%A9", json!("café")),
    ];
    for (path, expected) in cases {
        assert_eq!(json(app.get(path).await).await["query"], expected, "{path}");
    }
}

#[actix_web::test]
async fn params_are_percent_decoded_per_segment() {
    let app = spawn_app();
    assert_eq!(
        json(app.get("/dashboard/a%20b").await).await,
        json!({"team": "a b"})
    );
    assert_eq!(
        json(app.get("/blog/a%2Fb/c").await).await,
        json!({"slug": ["a/b", "c"]})
    );
}

#[actix_web::test]
async fn a_catch_all_without_segments_and_an_unknown_path_are_404_with_a_json_error() {
    let app = spawn_app();
    for path in ["/blog", "/nowhere", "/api/hello/extra"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            json(response).await,
            json!({"error": "not found"}),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn invalid_percent_encoding_is_a_400_with_a_json_error() {
    let app = spawn_app();
    for path in ["/dashboard/%zz", "/dashboard/%E0%A4", "/nowhere/%"] {
        let response = app.raw(&format!("GET {path} HTTP/1.1")).await;
        assert!(response.starts_with("HTTP/1.1 400"), "{path}: {response}");
        assert!(
            response.ends_with(r#"{"error":"invalid percent-encoding in path"}"#),
            "{response}"
        );
    }
}

/// Each path, sent as it is, gets a 308 to its location (compared lowered).
async fn assert_permanent_redirects(app: &TestApp, cases: &[(&str, &str)]) {
    for (path, location) in cases {
        let response = app.raw(&format!("GET {path} HTTP/1.1")).await;
        assert!(response.starts_with("HTTP/1.1 308"), "{path}: {response}");
        assert!(
            response
                .to_ascii_lowercase()
                .contains(&format!("location: {location}\r\n")),
            "{path}: {response}"
        );
    }
}

#[actix_web::test]
async fn trailing_and_doubled_slashes_get_a_308_to_the_canonical_path() {
    let app = spawn_app();
    let cases = [
        ("/api/hello/", "/api/hello"),
        ("/api/search/?query=x", "/api/search?query=x"),
        ("//api/hello", "/api/hello"),
        ("/dashboard//1/", "/dashboard/1"),
        ("//evil.example/", "/evil.example"),
    ];
    assert_permanent_redirects(&app, &cases).await;
}

#[actix_web::test]
async fn a_backslash_in_the_path_redirects_to_a_local_path_never_another_host() {
    let app = spawn_app();
    // Lower case: the response is compared lowered.
    let cases = [
        ("/\\evil.example/", "/evil.example"),
        ("/\\/evil.example", "/evil.example"),
        ("//\\evil.example", "/evil.example"),
        ("/api\\hello", "/api/hello"),
        ("/%5Cevil.example/", "/%5cevil.example"),
    ];
    assert_permanent_redirects(&app, &cases).await;
}

#[actix_web::test]
async fn static_beats_dynamic_beats_catch_all_beats_optional_catch_all() {
    let answer = |name: &'static str| {
        Segment::new().get(move |_, ctx| async move {
            Ok(Response::json(
                &json!({ "route": name, "params": ctx.all_params() }),
            ))
        })
    };
    // Registered in the reverse of priority order on purpose.
    let app = spawn_router(
        Router::new()
            .route("/[[...all]]", answer("optional"))
            .route("/p/[id]/[...rest]", answer("catch-all"))
            .route("/p/[id]", answer("dynamic"))
            .route("/p/new", answer("static")),
    );
    let cases = [
        ("/p/new", json!({"route": "static", "params": {}})),
        ("/p/7", json!({"route": "dynamic", "params": {"id": "7"}})),
        (
            "/p/7/a/b",
            json!({"route": "catch-all", "params": {"id": "7", "rest": ["a", "b"]}}),
        ),
        ("/p", json!({"route": "optional", "params": {"all": ["p"]}})),
        ("/", json!({"route": "optional", "params": {}})),
    ];
    for (path, expected) in cases {
        assert_eq!(json(app.get(path).await).await, expected, "{path}");
    }
}
