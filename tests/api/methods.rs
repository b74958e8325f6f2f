//! Method semantics as Next.js has them: defined methods run, HEAD from GET,
//! automatic OPTIONS, 405 with `Allow`, 400 outside the seven.

use reqwest::Method;
use serde_json::json;

use crate::test_app::{json, spawn_app};

#[actix_web::test]
async fn each_defined_method_runs_its_function() {
    let app = spawn_app();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let response = app
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                "/api/methods",
            )
            .await;
        assert_eq!(response.status(), 200, "{method}");
        assert_eq!(json(response).await, json!({ "method": method }));
    }
}

#[actix_web::test]
async fn options_without_a_function_is_204_with_the_sorted_allow_list() {
    let app = spawn_app();
    let cases = [
        (
            "/api/methods",
            "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
        ),
        ("/api/get-only", "GET, HEAD, OPTIONS"),
        ("/dashboard/1", "GET, HEAD, OPTIONS"),
    ];
    for (path, allow) in cases {
        let response = app.request(Method::OPTIONS, path).await;
        assert_eq!(response.status(), 204, "{path}");
        assert_eq!(response.headers()["allow"], allow, "{path}");
        assert!(response.bytes().await.unwrap().is_empty());
    }
}

#[actix_web::test]
async fn head_runs_get_and_sends_its_status_and_headers_without_a_body() {
    let app = spawn_app();
    let get = app.get("/api/hello").await;
    let head = app.request(Method::HEAD, "/api/hello").await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-type"],
        get.headers()["content-type"]
    );
    assert_eq!(
        head.headers()["content-length"],
        get.headers()["content-length"]
    );
    assert!(head.bytes().await.unwrap().is_empty());
    let raw = app.raw("HEAD /api/hello HTTP/1.1").await;
    assert!(
        raw.ends_with("\r\n\r\n"),
        "a HEAD response carries no body: {raw:?}"
    );
}

#[actix_web::test]
async fn get_only_route_answers_every_other_method_with_405_and_allow() {
    let app = spawn_app();
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let response = app.request(method.clone(), "/api/get-only").await;
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "GET, HEAD, OPTIONS");
        assert!(
            response.bytes().await.unwrap().is_empty(),
            "Next.js sends 405 with an empty body"
        );
    }
}

#[actix_web::test]
async fn a_method_outside_the_seven_is_a_400_with_an_empty_body_as_next_js_answers() {
    let app = spawn_app();
    for (method, path) in [
        ("HEADER", "/api/hello"),
        ("TRACE", "/api/hello"),
        ("FOO", "/nowhere"),
    ] {
        let response = app
            .request(Method::from_bytes(method.as_bytes()).unwrap(), path)
            .await;
        assert_eq!(response.status(), 400, "{method}");
        assert!(response.bytes().await.unwrap().is_empty(), "{method}");
    }
}

#[actix_web::test]
async fn handlers_re_exported_under_method_names_are_discovered_and_served() {
    let app = spawn_app();
    for method in [Method::GET, Method::POST] {
        let response = app.request(method.clone(), "/api/shared").await;
        assert_eq!(response.status(), 200, "{method}");
        assert_eq!(
            json(response).await,
            json!({ "method": method.as_str(), "path": "/api/shared" })
        );
    }
    let put = app.request(Method::PUT, "/api/shared").await;
    assert_eq!(put.status(), 405);
    assert_eq!(put.headers()["allow"], "GET, HEAD, OPTIONS, POST");
}
