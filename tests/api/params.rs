//! Typed params: `ctx.params::<T>()` deserializes, a mismatch is a 400.

use serde::{Deserialize, Serialize};
use serde_json::json;
use trellis::{Response, Router, Segment};

use crate::test_app::{json, spawn_router};

#[derive(Serialize, Deserialize)]
struct OrderParams {
    id: u64,
    rest: Option<Vec<String>>,
}

fn orders() -> Router {
    Router::new().route(
        "/orders/[id]/[[...rest]]",
        Segment::new().get(|_, ctx| async move {
            let params: OrderParams = ctx.params()?;
            Ok(Response::json(&params))
        }),
    )
}

#[actix_web::test]
async fn typed_params_parse_numbers_and_lists() {
    let app = spawn_router(orders());
    assert_eq!(
        json(app.get("/orders/42").await).await,
        json!({"id": 42, "rest": null})
    );
    assert_eq!(
        json(app.get("/orders/42/a/b").await).await,
        json!({"id": 42, "rest": ["a", "b"]})
    );
}

#[actix_web::test]
async fn a_param_that_does_not_fit_its_type_is_a_400_not_a_panic() {
    let app = spawn_router(orders());
    let response = app.get("/orders/abc").await;
    assert_eq!(response.status(), 400);
    let error = json(response).await["error"].as_str().unwrap().to_string();
    assert!(
        error.starts_with("invalid params:") && error.contains("abc"),
        "{error}"
    );
}
