//! Any path against a table with every kind of segment: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trellis_routes::{RoutePattern, RouteTable};

fuzz_target!(|path: &str| {
    let patterns = ["/", "/api/hello", "/a/[x]", "/a/[x]/b", "/blog/[...slug]", "/docs/[[...slug]]"];
    let table = RouteTable::build(patterns.iter().map(|p| (RoutePattern::parse(p).unwrap(), p.to_string())))
        .expect("the table builds");
    let _ = table.match_path(path);
});
