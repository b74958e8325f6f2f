//! Integration tests: each starts the real server on a free port, speaks
//! HTTP to it, and stops it. One binary, one file per feature.

mod bench_cli;
mod chromium;
mod redis_server;
mod scratch_dir;
mod test_app;
mod upstream_server;

// The longest test (it builds a crate), first in name order so that
// libtest starts it first and the others run beside its build.
mod a_new_app;
mod admin;
mod after_response;
mod bench;
mod bench_compare;
mod bench_report;
mod bench_scenario;
mod cache;
mod cache_safety;
mod cancellation;
mod compression;
mod concurrency;
mod conditional;
mod data_cache;
mod data_revalidation;
mod deadlines;
mod demo_proxy;
mod error_hook;
mod errors;
mod memory;
mod methods;
mod operations;
mod params;
mod probes;
mod proxy;
mod request_helpers;
mod requests;
mod responses;
mod routing;
mod routing_rules;
mod shared_cache;
mod shared_data_cache;
mod shared_hardening;
mod telemetry;
mod upstream;

/// The demo app, built from `app/` exactly as its binary builds it.
mod app {
    trellis::include_app!();
}
