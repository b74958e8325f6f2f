//! The memory store under a flood of one-off keys: a hot entry is never
//! pushed out, and the store stays within its budget. Loopback only, and
//! bounded: a few hundred junk requests, some thousands of hot ones.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use trellis::{Clock, Dynamic, Response, Router, Segment};

use crate::test_app::{spawn_with, test_config};

const BUDGET: u64 = 256 * 1024;

/// The most hot reads sent while the flood runs.
const MAX_HOT_READS: usize = 10_000;

#[actix_web::test]
async fn a_flood_of_one_off_keys_five_times_the_budget_leaves_the_hot_route_made_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let hot = Segment::new()
        .get(move |_, _| {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(Response::json(&json!({ "run": run }))) }
        })
        .dynamic(Dynamic::ForceStatic);
    let junk = Segment::new()
        .get(|_, ctx| async move { Ok(Response::json(&json!({ "id": ctx.param("id") }))) })
        .revalidate(60);
    let mut config = test_config();
    config.cache.budget_bytes = BUDGET;
    let router = Router::new().route("/hot", hot).route("/junk/[id]", junk);
    let app = spawn_with(router, config, Clock::System);
    assert_eq!(app.get("/hot").await.status(), 200);

    let flooded = AtomicBool::new(false);
    let reader = async {
        let mut reads = 0;
        while !flooded.load(Ordering::Relaxed) && reads < MAX_HOT_READS {
            assert_eq!(app.get("/hot").await.status(), 200);
            reads += 1;
        }
        reads
    };
    let flood = async {
        let (mut requested, mut sent) = (0, 0);
        while requested < 5 * BUDGET {
            let path = format!("/junk/{sent}-{}", "j".repeat(4000));
            assert_eq!(app.get(&path).await.status(), 200);
            requested += path.len() as u64;
            sent += 1;
        }
        flooded.store(true, Ordering::Relaxed);
        sent
    };
    let (reads, sent) = tokio::join!(reader, flood);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the hot route ran once, through {reads} reads and {sent} junk keys"
    );

    let metrics = app.metrics().await;
    let held: i64 = metrics
        .lines()
        .filter(|line| line.starts_with("trellis_cache_bytes{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<i64>().ok())
        .sum();
    assert!(held <= BUDGET as i64, "{held} bytes held");
    let turned_away = metrics
        .lines()
        .find(|line| line.starts_with("trellis_cache_not_admitted_total{route=\"/junk/[id]\"}"))
        .and_then(|line| line.rsplit(' ').next()?.parse::<u64>().ok());
    assert!(turned_away.is_some_and(|n| n > 0), "{metrics}");
}
