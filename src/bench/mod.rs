//! `trellis bench`: a load generator in the spirit of wrk and wrk2, with the
//! numbers a Trellis user wants beside latency: responses by status and by
//! `Cache-Status`.
//!
//! - `connection`: one keep-alive HTTP/1.1 connection.
//! - `load`: threads, connections, closed and open loops.
//! - `stats`: the HDR histogram and counters, and the reports.

mod connection;
mod load;
mod stats;

use std::io::IsTerminal;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use load::{Plan, Progress, Until};

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The URL to load, e.g. http://127.0.0.1:3000/api/hello.
    url: String,
    /// Connections kept open.
    #[arg(short, long, default_value_t = 32)]
    connections: usize,
    /// Threads sending requests.
    #[arg(short, long, default_value_t = 1)]
    threads: usize,
    /// How long to run (`10s`, `500ms`, `1m`).
    #[arg(short, long, default_value = "10s", value_parser = parse_duration, conflicts_with = "requests")]
    duration: Duration,
    /// Stop after this many requests instead.
    #[arg(short = 'n', long)]
    requests: Option<u64>,
    /// Open loop: send this many requests per second in total, latency
    /// measured from each request's intended time (wrk2's correction).
    #[arg(long)]
    rate: Option<f64>,
    /// The method.
    #[arg(short, long, default_value = "GET")]
    method: String,
    /// A request header, `name: value`; repeat for more.
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// The request body.
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// The request body, from a file.
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// A request with no response by then counts as a timeout error.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: BenchArgs) -> ExitCode {
    let plan = match plan(&args) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if !args.json {
        let mode = match plan.rate {
            Some(rate) => format!("open loop at {rate} requests/s"),
            None => "closed loop".to_string(),
        };
        println!(
            "Loading {} with {} connections on {} threads ({mode})",
            args.url, plan.connections, plan.threads
        );
    }
    let progress = Arc::new(Progress::default());
    let (finished, load_finished) = tokio::sync::oneshot::channel();
    let load = {
        let (plan, progress) = (plan.clone(), progress.clone());
        std::thread::spawn(move || {
            let measured = load::run(&plan, &progress);
            let _ = finished.send(());
            measured
        })
    };
    watch(&progress, load_finished, args.json);
    let (stats, elapsed) = match load.join() {
        Ok(measured) => measured,
        Err(_) => {
            eprintln!("error: the load threads failed");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        println!("{}", stats.to_json(elapsed));
    } else {
        print!("{}", stats.to_table(elapsed));
    }
    ExitCode::SUCCESS
}

/// Shows a live progress line until the load ends; Ctrl-C ends it early,
/// and what was measured so far is reported.
fn watch(progress: &Progress, mut load_finished: tokio::sync::oneshot::Receiver<()>, quiet: bool) {
    let bar = match quiet || !std::io::stderr().is_terminal() {
        true => ProgressBar::hidden(),
        false => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(_) => return,
    };
    runtime.block_on(async {
        let mut last = (Instant::now(), 0);
        let mut ticks = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                // Sent when the load ends, or dropped if its thread failed.
                _ = &mut load_finished => break,
                _ = tokio::signal::ctrl_c() => {
                    progress.stop.store(true, Ordering::Relaxed);
                }
                _ = ticks.tick() => {
                    let done = progress.requests.load(Ordering::Relaxed);
                    let rate = (done - last.1) as f64 / last.0.elapsed().as_secs_f64().max(f64::EPSILON);
                    last = (Instant::now(), done);
                    let errors = progress.errors.load(Ordering::Relaxed);
                    bar.set_message(format!("{done} requests, {rate:.0}/s, {errors} errors"));
                    bar.tick();
                }
            }
        }
    });
    bar.finish_and_clear();
}

fn plan(args: &BenchArgs) -> Result<Plan, String> {
    let url = url::Url::parse(&args.url).map_err(|e| format!("{}: {e}", args.url))?;
    if url.scheme() != "http" {
        return Err("only http:// URLs are supported".to_string());
    }
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let body = match (&args.body, &args.body_file) {
        (Some(body), _) => body.clone().into_bytes(),
        (None, Some(file)) => {
            std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?
        }
        (None, None) => Vec::new(),
    };
    let method = args.method.to_ascii_uppercase();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("header {header:?} is not `name: value`"))?;
        if header.contains(['\r', '\n']) {
            return Err(format!("header {header:?} contains a line break"));
        }
        head.push_str(&format!("{}: {}\r\n", name.trim(), value.trim()));
    }
    if !body.is_empty() || matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    if args.connections == 0 || args.threads == 0 {
        return Err("connections and threads must be at least 1".to_string());
    }
    let threads = args.threads.min(args.connections);
    Ok(Plan {
        addr,
        request: Bytes::from(request),
        head_only: method == "HEAD",
        connections: args.connections,
        threads,
        until: match args.requests {
            Some(n) => Until::Requests(n),
            None => Until::Elapsed(args.duration),
        },
        rate: args.rate.filter(|r| *r > 0.0),
        timeout: args.timeout,
        spin: load::owns_cores(threads),
    })
}

/// `10s`, `500ms`, `2m`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(text.len()),
    );
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 10s or 500ms"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?}: the unit is ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_wrk_s() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
    }
}
