//! ETags and conditional GETs: cached answers carry a strong `ETag` per
//! form and a `Last-Modified`; `If-None-Match` (weakly compared) and
//! `If-Modified-Since` get a 304 with no body; a handler's own `ETag` is
//! honoured the same way.

use trellis::{Response, Router, Segment};

use crate::test_app::{spawn_app, spawn_router};

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_cached_answer_with_a_current_etag_is_a_304_with_no_body() {
    let app = spawn_app();
    let first = app.get("/api/big").await;
    let etag = header(&first, "etag");
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let current = app.get_with("/api/big", "if-none-match", &etag).await;
    assert_eq!(current.status(), 304);
    assert_eq!(header(&current, "etag"), etag);
    assert_eq!(header(&current, "cache-status"), "trellis; hit");
    assert!(current.bytes().await.unwrap().is_empty());

    let weak = app
        .get_with("/api/big", "if-none-match", &format!("W/{etag}"))
        .await;
    assert_eq!(weak.status(), 304, "If-None-Match compares weakly");
    let listed = format!("\"other\", {etag}");
    assert_eq!(
        app.get_with("/api/big", "if-none-match", &listed)
            .await
            .status(),
        304
    );
    let changed = app.get_with("/api/big", "if-none-match", "\"other\"").await;
    assert_eq!(changed.status(), 200);
    assert!(!changed.bytes().await.unwrap().is_empty());
}

#[actix_web::test]
async fn each_compressed_form_is_validated_by_its_own_etag() {
    let app = spawn_app();
    let plain_etag = header(&app.get("/api/big").await, "etag");
    let gzip = app.get_with("/api/big", "accept-encoding", "gzip").await;
    let gzip_etag = header(&gzip, "etag");
    assert_ne!(gzip_etag, plain_etag);
    let current = app
        .builder(reqwest::Method::GET, "/api/big")
        .header("accept-encoding", "gzip")
        .header("if-none-match", &gzip_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(current.status(), 304);
    let other_form = app
        .builder(reqwest::Method::GET, "/api/big")
        .header("accept-encoding", "gzip")
        .header("if-none-match", &plain_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        other_form.status(),
        200,
        "the plain form's tag is not gzip's"
    );
}

#[actix_web::test]
async fn if_modified_since_is_answered_against_the_entrys_time() {
    let app = spawn_app();
    let first = app.get("/api/big").await;
    let modified = header(&first, "last-modified");
    let same = app
        .get_with("/api/big", "if-modified-since", &modified)
        .await;
    assert_eq!(same.status(), 304);
    let earlier = "Thu, 01 Jan 2015 00:00:00 GMT";
    assert_eq!(
        app.get_with("/api/big", "if-modified-since", earlier)
            .await
            .status(),
        200
    );
    let both = app
        .builder(reqwest::Method::GET, "/api/big")
        .header("if-modified-since", &modified)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        both.status(),
        200,
        "If-None-Match decides when both are sent"
    );
}

#[actix_web::test]
async fn a_handlers_own_etag_is_kept_and_honoured() {
    let segment =
        Segment::new().get(|_, _| async { Response::text("versioned").header("etag", "\"v7\"") });
    let app = spawn_router(Router::new().route("/own", segment));
    let first = app.get("/own").await;
    assert_eq!(header(&first, "etag"), "\"v7\"");
    let current = app.get_with("/own", "if-none-match", "\"v7\"").await;
    assert_eq!(current.status(), 304);
    assert!(current.bytes().await.unwrap().is_empty());
    let stale = app.get_with("/own", "if-none-match", "\"v6\"").await;
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.text().await.unwrap(), "versioned");
}
