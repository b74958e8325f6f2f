//! Failing route functions: an error or a panic is a 500 with an empty body,
//! running past `MAX_DURATION` is a 504, and the server keeps serving;
//! `not_found()`, `forbidden()` and `unauthorized()` answer as Next.js's.

use trellis::{forbidden, not_found, unauthorized, Error, Response, Router, Segment};

use crate::test_app::{spawn_app, spawn_router};

#[actix_web::test]
async fn a_panicking_or_failing_handler_gets_500_and_the_server_keeps_serving() {
    let app = spawn_app();
    for path in ["/api/boom", "/api/boom?kind=error", "/api/boom"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 500, "{path}");
        assert!(
            response.bytes().await.unwrap().is_empty(),
            "Next.js sends an empty 500"
        );
        assert_eq!(
            app.get("/api/hello").await.status(),
            200,
            "still serving after {path}"
        );
    }
}

#[actix_web::test]
async fn a_handler_past_max_duration_gets_504() {
    let app = spawn_app();
    assert_eq!(app.get("/api/slow?ms=5").await.status(), 200);
    let response = app.get("/api/slow?ms=3000").await;
    assert_eq!(response.status(), 504);
    assert_eq!(app.get("/api/hello").await.status(), 200);
}

#[actix_web::test]
async fn not_found_forbidden_and_unauthorized_are_thrown_with_empty_bodies() {
    fn throwing(error: fn() -> Error) -> Segment {
        Segment::new().get(move |_, _| async move { Err::<Response, _>(error()) })
    }
    let app = spawn_router(
        Router::new()
            .route("/missing", throwing(not_found))
            .route("/forbidden", throwing(forbidden))
            .route("/unauthorized", throwing(unauthorized)),
    );
    for (path, status) in [
        ("/missing", 404),
        ("/forbidden", 403),
        ("/unauthorized", 401),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert!(response.bytes().await.unwrap().is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn a_header_value_with_cr_or_lf_is_never_sent() {
    let app = spawn_router(Router::new().route(
        "/inject",
        Segment::new().get(|_, _| async {
            Response::text("x").header("x-injected", "a\r\nset-cookie: pwned=1")
        }),
    ));
    let raw = app.raw("GET /inject HTTP/1.1").await;
    assert!(raw.starts_with("HTTP/1.1 500"), "{raw}");
    assert!(!raw.to_ascii_lowercase().contains("pwned"), "{raw}");
}
