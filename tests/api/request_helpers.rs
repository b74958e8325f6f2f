//! The helpers a Next.js user reaches for: `user_agent(&req)`,
//! `draft_mode(&ctx)` (a signed bypass cookie that sends a request past the
//! cache) and `connection(&ctx)` (an answer made at request time).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use trellis::{Context, Request, Response, Router, Segment, DRAFT_MODE_COOKIE};

use crate::test_app::{json, spawn_router, TestApp};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

#[actix_web::test]
async fn user_agent_tells_the_browser_the_system_and_bots() {
    let segment = Segment::new().get(|req: Request, _| async move {
        let agent = trellis::user_agent(&req);
        Ok(Response::json(&json!({
            "browser": agent.browser.name,
            "os": agent.os.name,
            "device": agent.device.kind,
            "bot": agent.is_bot,
        })))
    });
    let app = spawn_router(Router::new().route("/agent", segment));
    let chrome = json(app.get_with("/agent", "user-agent", CHROME).await).await;
    assert_eq!(
        chrome,
        json!({ "browser": "Chrome", "os": "Windows 10", "device": null, "bot": false })
    );
    let bot = json(app.get_with("/agent", "user-agent", GOOGLEBOT).await).await;
    assert_eq!(bot["bot"], true);
    let none = json(app.get("/agent").await).await;
    assert_eq!(
        none,
        json!({ "browser": null, "os": null, "device": null, "bot": false })
    );
}

/// A cached page counting its runs and saying whether draft mode is on,
/// and the routes that turn draft mode on and off.
fn draft_app() -> (TestApp, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let page = Segment::new()
        .get(move |_, ctx: Context| {
            let run = counted.fetch_add(1, Ordering::SeqCst) + 1;
            let draft = trellis::draft_mode(&ctx).is_enabled();
            async move { Ok(Response::json(&json!({ "run": run, "draft": draft }))) }
        })
        .revalidate(60);
    let enable = Segment::new().get(|_, ctx: Context| async move {
        trellis::draft_mode(&ctx).enable()?;
        Ok(Response::text("draft on"))
    });
    let disable = Segment::new().get(|_, ctx: Context| async move {
        trellis::draft_mode(&ctx).disable()?;
        Ok(Response::text("draft off"))
    });
    let app = spawn_router(
        Router::new()
            .route("/page", page)
            .route("/draft/enable", enable)
            .route("/draft/disable", disable),
    );
    (app, runs)
}

async fn page(app: &TestApp, cookie: Option<&str>) -> (String, Value) {
    let response = match cookie {
        Some(cookie) => app.get_with("/page", "cookie", cookie).await,
        None => app.get("/page").await,
    };
    let status = response.headers()["cache-status"]
        .to_str()
        .unwrap()
        .to_string();
    (status, json(response).await)
}

#[actix_web::test]
async fn draft_mode_sets_a_signed_cookie_that_bypasses_the_cache() {
    let (app, _runs) = draft_app();
    assert_eq!(
        page(&app, None).await.1,
        json!({ "run": 1, "draft": false })
    );
    assert_eq!(
        page(&app, None).await,
        ("trellis; hit".into(), json!({ "run": 1, "draft": false }))
    );

    let enabled = app.get("/draft/enable").await;
    let set_cookie = enabled.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set_cookie.starts_with(&format!("{DRAFT_MODE_COOKIE}=")),
        "{set_cookie}"
    );
    for attribute in ["HttpOnly", "Secure", "SameSite=None", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let (status, body) = page(&app, Some(&cookie)).await;
    assert_eq!(
        status, "trellis; fwd=bypass",
        "draft mode goes past the cache"
    );
    assert_eq!(body, json!({ "run": 2, "draft": true }));

    let forged = format!("{DRAFT_MODE_COOKIE}=0123456789abcdef");
    assert_eq!(
        page(&app, Some(&forged)).await,
        ("trellis; hit".into(), json!({ "run": 1, "draft": false }))
    );
    assert_eq!(
        page(&app, None).await.1,
        json!({ "run": 1, "draft": false }),
        "the cache kept the published page"
    );

    let disabled = app.get("/draft/disable").await;
    let cleared = disabled.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with(&format!("{DRAFT_MODE_COOKIE}=;")),
        "{cleared}"
    );
}

#[actix_web::test]
async fn connection_makes_a_cached_routes_answer_request_time() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let segment = Segment::new()
        .get(move |_, ctx: Context| {
            trellis::connection(&ctx);
            let run = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(Response::json(&json!({ "run": run }))) }
        })
        .revalidate(60);
    let app = spawn_router(Router::new().route("/now", segment));
    for run in 1..=3 {
        let response = app.get("/now").await;
        assert_eq!(
            response.headers()["cache-status"],
            "trellis; fwd=bypass; detail=read-connection"
        );
        assert_eq!(json(response).await, json!({ "run": run }));
    }
}
