//! A revalidation among many entries, seen from a request that has nothing
//! to do with it: with 400,000 entries cached, `/api/hello`'s latency while
//! revalidations run back to back, against the same server idle. Each kind
//! is timed too: a path with one entry, a tag with one, a tag with all.
//!
//!     taskset -c 0,1 cargo bench --bench revalidation_at_size
//!
//! `ENTRIES=100000` changes the size; `SAMPLES` the requests per phase.
//! One worker serves everything, so a revalidation that held a worker's
//! thread would show here as latency.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use trellis::{Clock, Config, Response, Router, Segment, Server, ServerHandle};

const TOKEN: &str = "bench-admin-token";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn router() -> Router {
    let page = Segment::new()
        .get(|_, ctx| async move { Ok(Response::json(&json!({ "id": ctx.param("id") }))) })
        .revalidate(3600)
        .tags(&["pages"]);
    let one = Segment::new()
        .get(|_, _| async { Ok(Response::json(&json!({ "one": true }))) })
        .revalidate(3600)
        .tags(&["one"]);
    let hello = Segment::new().get(|_, _| async { Ok(Response::json(&json!({ "hello": 1 }))) });
    Router::new()
        .route("/page/[id]", page)
        .route("/one", one)
        .route("/api/hello", hello)
}

fn config() -> Config {
    let mut config = Config::default();
    config.server.port = 0;
    config.server.workers = 1;
    config.admin.token = Some(TOKEN.into());
    // Room for every entry: this measures revalidation, not eviction.
    config.cache.budget_bytes = 8 << 30;
    config
}

/// Latencies of one phase, in microseconds, sorted.
struct Latencies(Vec<u128>);

impl Latencies {
    fn at(&self, quantile: f64) -> u128 {
        let last = self.0.len().saturating_sub(1);
        self.0[((last as f64) * quantile).round() as usize]
    }
}

async fn hello_latencies(client: &reqwest::Client, base: &str, samples: usize) -> Latencies {
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let response = client
            .get(format!("{base}/api/hello"))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200);
        response.bytes().await.expect("a body");
        latencies.push(started.elapsed().as_micros());
    }
    latencies.sort_unstable();
    Latencies(latencies)
}

/// Revalidates with `query` back to back until `stop`; returns the calls
/// made, their mean time, and the entries the last one reported.
async fn revalidate_until(
    client: reqwest::Client,
    base: String,
    query: &'static str,
    stop: Arc<AtomicBool>,
) -> (usize, Duration, u64) {
    let (mut calls, mut spent, mut entries) = (0, Duration::ZERO, 0);
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let response = client
            .post(format!("{base}/_trellis/revalidate?{query}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "{query}");
        let answer: serde_json::Value = response.json().await.expect("a JSON answer");
        spent += started.elapsed();
        calls += 1;
        entries = answer["entries"].as_u64().unwrap_or(0);
    }
    (calls, spent / calls.max(1) as u32, entries)
}

async fn fill(client: &reqwest::Client, base: &str, entries: usize) {
    const LANES: usize = 16;
    let lanes = (0..LANES).map(|lane| async move {
        for id in (lane..entries).step_by(LANES) {
            let response = client
                .get(format!("{base}/page/{id}"))
                .send()
                .await
                .expect("the server answers");
            assert_eq!(response.status(), 200);
            response.bytes().await.expect("a body");
        }
    });
    join_all(lanes).await;
    let response = client
        .get(format!("{base}/page/{}", entries - 1))
        .send()
        .await
        .expect("the server answers");
    let status = response.headers()["cache-status"].to_str().unwrap_or("");
    assert!(
        status.contains("hit"),
        "the last entry was stored: {status}"
    );
}

/// Serves `router()` on a thread of its own, as `trellis serve` has the
/// process to itself: the supervisor's arbiter is that thread's, so the
/// load below never shares a thread with the revalidations it measures.
fn serve() -> (String, ServerHandle) {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let server = Server::build_with_clock(config(), router(), Clock::System)
                .expect("the bench server builds");
            let address = format!("http://{}", server.local_addr());
            sender
                .send((address, server.handle()))
                .expect("the bench waits for the address");
            server.run_until_stopped().await.expect("the server runs");
        })
    });
    receiver
        .recv()
        .expect("the server thread sends its address")
}

fn main() {
    let entries = env_or("ENTRIES", 400_000);
    let samples = env_or("SAMPLES", 4_000);
    let (base, handle) = serve();
    actix_rt::System::new().block_on(async move {
        let client = reqwest::Client::new();

        let started = Instant::now();
        fill(&client, &base, entries).await;
        client
            .get(format!("{base}/one"))
            .send()
            .await
            .expect("the server answers");
        println!("{entries} entries cached in {:.1?}", started.elapsed());

        let idle = hello_latencies(&client, &base, samples).await;
        println!(
            "{:<34} {:>8} {:>8} {:>8} {:>9} {:>9}   revalidations",
            "/api/hello (µs)", "p50", "p99", "max", "p50/idle", "p99/idle"
        );
        let row = |name: &str, phase: &Latencies, extra: String| {
            println!(
                "{name:<34} {:>8} {:>8} {:>8} {:>9.2} {:>9.2}   {extra}",
                phase.at(0.5),
                phase.at(0.99),
                phase.at(1.0),
                phase.at(0.5) as f64 / idle.at(0.5) as f64,
                phase.at(0.99) as f64 / idle.at(0.99) as f64,
            )
        };
        row("idle", &idle, String::new());
        for (name, query) in [
            ("during revalidate_path, 1 entry", "path=/page/7"),
            ("during revalidate_tag, 1 entry", "tag=one"),
            ("during revalidate_tag, all entries", "tag=pages"),
        ] {
            let stop = Arc::new(AtomicBool::new(false));
            let revalidating = actix_rt::spawn(revalidate_until(
                client.clone(),
                base.clone(),
                query,
                stop.clone(),
            ));
            let during = hello_latencies(&client, &base, samples).await;
            stop.store(true, Ordering::Relaxed);
            let (calls, mean, touched) = revalidating.await.expect("the revalidating task ends");
            row(
                name,
                &during,
                format!("{calls} calls, {mean:.1?} each, {touched} entries each"),
            );
        }
        handle.stop(true).await;
    });
}
