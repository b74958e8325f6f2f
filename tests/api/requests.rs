//! What a route function reads and sets: cookies, headers, bodies and forms,
//! the URL, with the 4xx answers for bodies it cannot use.

use reqwest::header::CONTENT_TYPE;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;
use trellis::{CookieOptions, Response, Router, SameSite, Segment};

use crate::test_app::{json, spawn_app, spawn_router};

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn the_cookie_store_reads_sets_and_deletes_as_next_js_does() {
    let app = spawn_app();
    let response = app
        .get_with("/api/cookies", "cookie", "a=hello%20world; a=last; c=1")
        .await;
    assert_eq!(
        set_cookies(&response),
        [
            "b=1; Path=/",
            "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        ]
    );
    assert_eq!(
        json(response).await,
        json!({ "a": "last" }),
        "decoded, and the last of a repeated name wins"
    );
    assert_eq!(
        json(app.get("/api/cookies").await).await,
        json!({ "a": null })
    );
}

#[actix_web::test]
async fn a_percent_encoded_cookie_name_cannot_pose_as_another() {
    let app = spawn_app();
    for header in ["a=legit; %61=attacker", "%61=attacker; a=legit"] {
        let response = app.get_with("/api/cookies", "cookie", header).await;
        assert_eq!(json(response).await, json!({ "a": "legit" }), "{header}");
    }
}

#[actix_web::test]
async fn cookie_attributes_are_all_sent() {
    let app = spawn_router(Router::new().route(
        "/session",
        Segment::new().get(|_, ctx| async move {
            let options = CookieOptions {
                path: Some("/app".into()),
                domain: Some("example.com".into()),
                max_age: Some(std::time::Duration::from_secs(3600)),
                http_only: true,
                secure: true,
                same_site: Some(SameSite::Lax),
                partitioned: true,
                ..CookieOptions::default()
            };
            ctx.cookies().set_with("session", "a b;c", options)?;
            Ok(Response::text(
                ctx.cookies().get("session").unwrap_or_default(),
            ))
        }),
    ));
    let response = app.get("/session").await;
    let cookie = set_cookies(&response).pop().unwrap();
    for attribute in [
        "session=a%20b%3Bc",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Partitioned",
        "Path=/app",
        "Domain=example.com",
        "Max-Age=3600",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }
    assert_eq!(
        response.text().await.unwrap(),
        "a b;c",
        "a set cookie reads back"
    );
}

#[actix_web::test]
async fn a_cookie_that_would_break_the_header_is_refused_never_sent() {
    let app = spawn_router(
        Router::new()
            .route(
                "/bad-name",
                Segment::new().get(|_, ctx| async move {
                    ctx.cookies().set("a;b", "1")?;
                    Ok(Response::text("sent"))
                }),
            )
            .route(
                "/bad-value",
                Segment::new().get(|_, ctx| async move {
                    ctx.cookies().set("a", "1\r\nset-cookie: pwned=1")?;
                    Ok(Response::text("sent"))
                }),
            ),
    );
    for path in ["/bad-name", "/bad-value"] {
        let raw = app.raw(&format!("GET {path} HTTP/1.1")).await;
        assert!(raw.starts_with("HTTP/1.1 500"), "{raw}");
        assert!(!raw.to_ascii_lowercase().contains("set-cookie"), "{raw}");
    }
}

#[actix_web::test]
async fn a_response_with_its_own_set_cookie_keeps_it() {
    let app = spawn_app();
    let response = app.get_with("/api/token", "cookie", "token=abc").await;
    assert_eq!(set_cookies(&response), ["token=abc"]);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/plain;charset=UTF-8");
    assert_eq!(response.text().await.unwrap(), "Hello, Next.js!");
    assert!(set_cookies(&app.get("/api/token").await).is_empty());
}

#[actix_web::test]
async fn request_headers_are_read_and_can_be_sent_back() {
    let app = spawn_app();
    let response = app
        .builder(Method::GET, "/api/headers")
        .header("referer", "https://example.com/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["referer"], "https://example.com/");
    assert_eq!(response.text().await.unwrap(), "Hello, Next.js!");
    let echoed = app
        .builder(Method::GET, "/api/echo-headers")
        .header("x-demo", "hi")
        .send()
        .await
        .unwrap();
    assert_eq!(json(echoed).await, json!({ "x-demo": "hi" }));
    assert_eq!(
        json(app.get("/api/echo-headers").await).await,
        json!({ "x-demo": null })
    );
}

#[actix_web::test]
async fn a_json_body_is_echoed() {
    let app = spawn_app();
    let body = json!({ "name": "Ada", "tags": [1, 2] });
    let response = app
        .builder(Method::POST, "/items")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(json(response).await, json!({ "res": body }));
}

#[actix_web::test]
async fn malformed_json_is_a_400_saying_what_and_where() {
    let app = spawn_app();
    let response = app
        .builder(Method::POST, "/items")
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"name": }"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error = json(response).await["error"].as_str().unwrap().to_string();
    assert!(
        error.starts_with("invalid JSON: ") && error.contains("line 1 column"),
        "{error}"
    );
}

#[actix_web::test]
async fn a_json_body_is_parsed_whatever_its_label_as_the_webs_request_json_does() {
    let app = spawn_app();
    // `fetch(url, { body: JSON.stringify(x) })` labels it text/plain.
    for label in [
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
    ] {
        let response = app
            .builder(Method::POST, "/items")
            .header(CONTENT_TYPE, label)
            .body(r#"{"a":1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{label}");
        assert_eq!(
            json(response).await,
            json!({ "res": { "a": 1 } }),
            "{label}"
        );
    }
    let unlabelled = app
        .builder(Method::POST, "/items")
        .body("[1,2]")
        .send()
        .await
        .unwrap();
    assert_eq!(json(unlabelled).await, json!({ "res": [1, 2] }));
}

#[actix_web::test]
async fn a_form_read_of_a_body_labelled_otherwise_is_a_415() {
    let app = spawn_app();
    let form_as_json = app
        .builder(Method::POST, "/api/form")
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(form_as_json.status(), 415);
}

#[actix_web::test]
async fn the_context_reads_the_request_headers_as_next_headers_does() {
    let app = spawn_router(Router::new().route(
        "/ambient",
        Segment::new().get(|_, ctx| async move {
            let agent = ctx.headers().get("x-agent").and_then(|v| v.to_str().ok());
            Ok(Response::json(&json!({ "agent": agent })))
        }),
    ));
    let response = app
        .builder(Method::GET, "/ambient")
        .header("x-agent", "curl")
        .send()
        .await
        .unwrap();
    assert_eq!(json(response).await, json!({ "agent": "curl" }));
    assert_eq!(
        json(app.get("/ambient").await).await,
        json!({ "agent": null })
    );
}

#[actix_web::test]
async fn next_url_href_is_the_whole_url() {
    let app = spawn_router(Router::new().route(
        "/where",
        Segment::new().get(|req, _| async move { Ok(Response::text(req.next_url().href())) }),
    ));
    let response = app.get("/where?x=1").await;
    assert_eq!(
        response.text().await.unwrap(),
        format!("{}/where?x=1", app.address)
    );
}

#[actix_web::test]
async fn an_oversized_body_is_a_413_before_it_is_read_and_the_server_answers_the_next_request() {
    let app = spawn_app();
    // Declared too large: refused on the headers alone, the body never sent.
    let raw = app
        .raw("POST /items HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2097152")
        .await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(
        raw.contains("body larger than the limit of 1048576 bytes"),
        "{raw}"
    );
    // Sent chunked, with no length: refused once it passes the limit.
    let chunks =
        futures_util::stream::iter((0..40).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])));
    let response = app
        .builder(Method::POST, "/items")
        .header(CONTENT_TYPE, "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
    }
    assert_eq!(app.get("/api/hello").await.status(), 200);
}

#[actix_web::test]
async fn a_segment_sets_its_own_body_limit() {
    let small = Segment::new()
        .post(|req, _| async move { Ok(Response::text(req.bytes().len().to_string())) })
        .body_limit(8);
    let app = spawn_router(Router::new().route("/small", small));
    let ok = app
        .builder(Method::POST, "/small")
        .body("12345678")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.text().await.unwrap(), "8");
    let response = app
        .builder(Method::POST, "/small")
        .body("123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[actix_web::test]
async fn url_encoded_and_multipart_forms_are_read() {
    let app = spawn_app();
    let urlencoded = app
        .builder(Method::POST, "/api/form")
        .form(&[("name", "Ada Lovelace"), ("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        json(urlencoded).await,
        json!({ "name": "Ada Lovelace", "email": "ada@example.com" })
    );
    let multipart = Form::new().text("name", "Ada");
    let response = app
        .builder(Method::POST, "/api/form")
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json(response).await,
        json!({ "name": "Ada", "email": null })
    );
}

#[actix_web::test]
async fn a_multipart_file_part_is_read_with_its_name_and_type() {
    let upload = Segment::new().post(|req, _| async move {
        let form = req.form().await?;
        let file = form
            .get("file")
            .and_then(|v| v.as_file())
            .ok_or(trellis::Error::BadRequest("no file".into()))?;
        Ok(Response::json(&json!({
            "file_name": file.file_name,
            "content_type": file.content_type,
            "size": file.bytes.len(),
            "note": form.get_text("note"),
        })))
    });
    let app = spawn_router(Router::new().route("/upload", upload));
    let part = Part::bytes(vec![7u8; 1000])
        .file_name("data.bin")
        .mime_str("application/octet-stream")
        .unwrap();
    let form = Form::new().part("file", part).text("note", "hi");
    let response = app
        .builder(Method::POST, "/upload")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json(response).await,
        json!({ "file_name": "data.bin", "content_type": "application/octet-stream", "size": 1000, "note": "hi" })
    );
}

#[actix_web::test]
async fn a_malformed_multipart_body_is_a_400() {
    let app = spawn_app();
    for content_type in ["multipart/form-data; boundary=XYZ", "multipart/form-data"] {
        let response = app
            .builder(Method::POST, "/api/form")
            .header(CONTENT_TYPE, content_type)
            .body("--ABC\r\nnot a part\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{content_type}");
        assert!(json(response).await["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid form data"));
    }
}
