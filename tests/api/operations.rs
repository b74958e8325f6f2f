//! Running it for real: the config file, graceful shutdown, timeouts and
//! limits, faults under load, and hostile input.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trellis::{Clock, Config, Response, Router, Segment};

use crate::test_app::{
    json, serve_demo, spawn_app, spawn_with, test_config, trellis, ConfigFile, TestApp,
};

#[actix_web::test]
async fn check_config_accepts_a_good_file_and_names_the_line_of_a_bad_one() {
    let good = ConfigFile::new(
        "good",
        "[server]\nport = 4000\n\n[[routes]]\npattern = \"/api/hello\"\nrevalidate = 10\n",
    );
    let output = trellis(&["check-config", "--config", good.path()]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let routes = trellis(&["routes", "--config", good.path()]).await;
    let table = String::from_utf8_lossy(&routes.stdout);
    let hello = table.lines().find(|l| l.contains("/api/hello ")).unwrap();
    assert!(
        hello.contains("revalidated every 10 s"),
        "the override shows: {hello}"
    );

    let cases = [
        ("[server]\nport = 4000\nprot = 1\n", "line 3"),
        ("[cache]\n\nbudget_bytes = \"lots\"\n", "line 3"),
        (
            "[[routes]]\npattern = \"/api/hello\"\n\n[[routes]]\npattern = \"/api/nowhere\"\n",
            "line 5",
        ),
        (
            "[[redirects]]\nsource = \"/old/:slug\"\ndestination = \"/new/:id\"\npermanent = true\n",
            "line 2",
        ),
    ];
    for (i, (text, line)) in cases.into_iter().enumerate() {
        let bad = ConfigFile::new(&format!("bad{i}"), text);
        let output = trellis(&["check-config", "--config", bad.path()]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text}");
        assert!(stderr.contains(line), "{text}: {stderr}");
    }

    let store = ConfigFile::new(
        "store",
        "[cache]
store = \"redis//nowhere\"\n",
    );
    let output = trellis(&["check-config", "--config", store.path()]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("cache store `redis//nowhere`"), "{stderr}");
}

#[actix_web::test]
async fn check_config_refuses_what_would_harm_visitors_saying_how_to_fix_it() {
    let cases = [
        ("[cors]\nallow_credentials = true\n", "list the origins"),
        ("[admin]\ntoken = \"\"\n", "`admin.token`: is empty"),
    ];
    for (i, (text, fix)) in cases.into_iter().enumerate() {
        let file = ConfigFile::new(&format!("harm{i}"), text);
        let output = trellis(&["check-config", "--config", file.path()]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text}");
        assert!(stderr.contains(fix), "{text}: {stderr}");
    }
}

#[actix_web::test]
async fn check_config_never_prints_a_password_or_a_token() {
    let cases = [
        (
            "[cache]\nstore = \"redis://user:hunter2@cache:notaport/0\"\n",
            "redis://user:***@cache:notaport/0",
        ),
        ("[admin]\ntoken = 31415926535\n", "line 2: `admin.token`"),
        ("[admin]\ntoken = \"hunter2\" oops\n", "line 2"),
    ];
    for (i, (text, shown)) in cases.into_iter().enumerate() {
        let file = ConfigFile::new(&format!("secret{i}"), text);
        let output = trellis(&["check-config", "--config", file.path()]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text}");
        assert!(stderr.contains(shown), "{text}: {stderr}");
        assert!(
            !stderr.contains("hunter2") && !stderr.contains("31415926535"),
            "{text}: {stderr}"
        );
    }
}

#[actix_web::test]
async fn route_overrides_header_rules_and_redirect_rules_apply() {
    let text = r#"
[[routes]]
pattern = "/api/hello"
revalidate = 60
headers = { x-frame-options = "DENY" }

[[headers]]
source = "/dashboard/[team]"
headers = { x-team-page = "yes" }

[[redirects]]
source = "/old-dashboard/[team]"
destination = "/dashboard/[team]"
permanent = true
"#;
    let mut config = Config::parse(text).unwrap();
    config.server = test_config().server;
    config.cache.tick_ms = 0;
    let app = spawn_with(crate::app::router(), config, Clock::manual());
    app.get("/api/hello").await;
    let hello = app.get("/api/hello").await;
    assert_eq!(
        hello.headers()["cache-status"],
        "trellis; hit",
        "revalidate from the file"
    );
    assert_eq!(hello.headers()["x-frame-options"], "DENY");
    assert_eq!(
        app.get("/dashboard/7").await.headers()["x-team-page"],
        "yes"
    );
    let moved = app.get("/old-dashboard/7?tab=1").await;
    assert_eq!(moved.status(), 308);
    assert_eq!(moved.headers()["location"], "/dashboard/7?tab=1");
}

/// Starts the binary on a free port with `config`; returns it and its base URL.
async fn spawn_binary(config: &ConfigFile) -> (tokio::process::Child, String) {
    let (child, url, mut lines) = serve_demo(&["--config".as_ref(), config.path().as_ref()]).await;
    // Keep reading its log so that the pipe never fills.
    actix_rt::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

#[actix_web::test]
async fn sigterm_lets_a_stream_in_flight_finish_then_exits_0() {
    let config = ConfigFile::new("shutdown", "[server]\nshutdown_grace_secs = 10\n");
    let (mut child, url) = spawn_binary(&config).await;
    let mut response = reqwest::get(format!("{url}/api/stream")).await.unwrap();
    assert_eq!(
        response.chunk().await.unwrap().unwrap(),
        "<p>One</p>",
        "the stream is in flight"
    );
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        rest.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert_eq!(
        rest, "<p>Two</p><p>Three</p>",
        "the request in flight completes"
    );
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
}

fn limited(configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = test_config();
    configure(&mut config);
    spawn_with(crate::app::router(), config, Clock::System)
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server answers or closes; never waits past 10 s.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server neither answered nor closed the connection"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[actix_web::test]
async fn a_client_sending_headers_too_slowly_is_dropped() {
    let app = limited(|c| c.server.client_request_timeout_ms = 1000);
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /api/hello HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    let prompt = app.raw("GET /api/hello HTTP/1.1").await;
    assert!(
        prompt.starts_with("HTTP/1.1 200"),
        "a prompt client is still served: {prompt}"
    );
}

#[actix_web::test]
async fn a_body_sent_too_slowly_is_a_408() {
    let app = limited(|c| c.limits.body_timeout_ms = 200);
    let mut stream = connect(&app).await;
    let head = "POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\"";
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[actix_web::test]
async fn headers_and_urls_over_the_limit_get_431_and_414() {
    let app = spawn_app();
    let big = "x".repeat(20 * 1024);
    let response = app
        .builder(Method::GET, "/api/hello")
        .header("x-big", &big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    let long = format!("/dashboard/{}", "a".repeat(9000));
    let response = app.get(&long).await;
    assert_eq!(response.status(), 414);
    assert_eq!(
        json(response).await,
        json!({ "error": "request target longer than the limit" })
    );
}

#[actix_web::test]
async fn connections_past_the_maximum_wait_and_those_served_are_unharmed() {
    let app = limited(|c| c.server.max_connections = 2);
    let clients: Vec<reqwest::Client> = (0..4).map(|_| reqwest::Client::new()).collect();
    let requests = clients.iter().map(|client| async {
        let response = client
            .get(format!("{}/api/slow?ms=200", app.address))
            .send()
            .await
            .unwrap();
        (response.status(), json(response).await)
    });
    for (status, body) in futures_util::future::join_all(requests).await {
        assert_eq!((status.as_u16(), body), (200, json!({ "slept": 200 })));
    }
}

#[actix_web::test]
async fn hundreds_of_panicking_requests_interleaved_with_normal_ones_harm_none() {
    let app = spawn_app();
    let app = &app;
    let requests = (0..300).map(|i| {
        let path = if i % 2 == 0 {
            "/api/boom"
        } else {
            "/api/hello"
        };
        async move { (path, app.get(path).await.status().as_u16()) }
    });
    for (path, status) in futures_util::future::join_all(requests).await {
        let expected = if path == "/api/boom" { 500 } else { 200 };
        assert_eq!(status, expected, "{path}");
    }
}

#[actix_web::test]
async fn hostile_paths_and_queries_get_a_clear_4xx() {
    let app = spawn_app();
    let cases = [
        ("/api/../api/hello", 400),
        ("/api/./hello", 400),
        ("/dashboard/%2e%2e", 400),
        ("/dashboard/a%00b", 400),
        ("/dashboard/%FF", 400),
        ("/api/search?query=%FF", 400),
        ("/api/search?query=100%", 200),
    ];
    for (target, status) in cases {
        let raw = app.raw(&format!("GET {target} HTTP/1.1")).await;
        assert!(
            raw.starts_with(&format!("HTTP/1.1 {status}")),
            "{target}: {raw}"
        );
        if status == 400 {
            assert!(
                raw.contains(r#"{"error":"#),
                "{target}: a short JSON error: {raw}"
            );
        }
    }
    let raw = app.raw("GET /api/he\0llo HTTP/1.1").await;
    assert!(raw.starts_with("HTTP/1.1 400"), "a raw NUL: {raw}");
}

#[actix_web::test]
async fn duplicate_and_malformed_cookies_are_read_leniently() {
    let app = spawn_app();
    for header in ["a=1; a=2", "=; ;;a=2", "a", "a=%ZZ; a=2", "a=\"2\""] {
        let response = app.get_with("/api/cookies", "cookie", header).await;
        assert_eq!(response.status(), 200, "{header}");
        let a = json(response).await["a"].clone();
        assert!(
            a == json!("2") || a == json!("\"2\"") || a.is_null(),
            "{header}: {a}"
        );
    }
}

#[actix_web::test]
async fn a_route_registered_in_code_is_also_guarded() {
    let app = spawn_with(
        Router::new().route(
            "/files/[...path]",
            Segment::new().get(|_, ctx| async move { Ok(Response::json(&ctx.param("path"))) }),
        ),
        test_config(),
        Clock::System,
    );
    assert_eq!(app.get("/files/a/b").await.status(), 200);
    let raw = app.raw("GET /files/a/%2E%2E/etc/passwd HTTP/1.1").await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
}
