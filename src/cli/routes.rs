//! `trellis routes`: the route table, as `next build` prints its routes.

use std::process::ExitCode;

use trellis::{RouteKind, Router};

pub fn run(router: Router) -> ExitCode {
    let mut rows = match router.summary() {
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
            RouteKind::Dynamic => "ƒ",
            RouteKind::Static | RouteKind::Revalidated(_) => "○",
        };
        println!(
            "{branch} {symbol} {:<width$}  {:<methods_width$}  {}",
            row.pattern, row.methods, row.kind
        );
    }
    println!();
    println!("○  (Static)   made once and served from the cache, revalidated as shown");
    println!("ƒ  (Dynamic)  made on every request");
    ExitCode::SUCCESS
}
