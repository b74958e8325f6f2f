//! `trellis routes`: the route table with each route's effective config,
//! and the proxy with its matcher, as `next build` prints its routes.

use std::process::ExitCode;

use crate::{Config, ProxySummary, RouteKind, RouteSummary, Router};

pub fn run(router: Router, config: &Config) -> ExitCode {
    let proxy = router.proxy_summary();
    let mut rows = match router.summary(config) {
        Ok(rows) => rows,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    rows.sort_by(|a, b| a.pattern.cmp(&b.pattern));
    let width = rows
        .iter()
        .map(|r| r.pattern.len())
        .max()
        .unwrap_or(0)
        .max(5);
    let methods_width = rows.iter().map(|r| r.methods.len()).max().unwrap_or(0);
    println!("  {:<width$}  {:<methods_width$}  Kind", "Route", "Methods");
    for (i, row) in rows.iter().enumerate() {
        let branch = match i {
            0 if rows.len() == 1 => "─",
            0 => "┌",
            _ if i + 1 == rows.len() => "└",
            _ => "├",
        };
        let symbol = match row.kind {
            RouteKind::Dynamic | RouteKind::DynamicByRead(_) => "ƒ",
            RouteKind::Static | RouteKind::Revalidated(_) => "○",
        };
        println!(
            "{branch} {symbol} {:<width$}  {:<methods_width$}  {}{}",
            row.pattern,
            row.methods,
            row.kind,
            details(row)
        );
    }
    if let Some(proxy) = proxy {
        println!();
        println!("ƒ Proxy (Middleware)  {}", proxy_line(&proxy));
    }
    println!();
    println!("○  (Static)   made once and served from the cache, revalidated as shown");
    println!("ƒ  (Dynamic)  made on every request");
    ExitCode::SUCCESS
}

/// Where the proxy comes from and the paths it runs for.
fn proxy_line(proxy: &ProxySummary) -> String {
    match &proxy.matcher {
        Some(entries) => format!("{}  matcher: {}", proxy.source, entries.join(", ")),
        None => format!("{}  every path", proxy.source),
    }
}

/// The rest of the effective config, where it differs from the defaults.
fn details(row: &RouteSummary) -> String {
    let mut parts = Vec::new();
    if let Some(limit) = row.max_duration {
        parts.push(format!("max {} s", limit.as_secs()));
    }
    if let Some(bytes) = row.body_limit {
        parts.push(format!("body ≤ {bytes} B"));
    }
    if !row.tags.is_empty() {
        parts.push(format!("tags {}", row.tags.join(",")));
    }
    if row.cors {
        parts.push("CORS".to_string());
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join("; ")),
    }
}
