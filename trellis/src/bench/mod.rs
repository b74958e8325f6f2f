//! `trellis bench`: a load generator in the spirit of wrk and wrk2, with
//! the numbers a Trellis user wants beside latency (responses by status and
//! by `Cache-Status`), scenarios in the spirit of k6 (weighted requests
//! drawing values, phases, thresholds that fail a CI run), reports to keep
//! (JSON with the time series, one self-contained HTML page), and
//! comparisons of two runs that tell a change from noise.
//!
//! - `command`: the command line, and the dispatch.
//! - `scenario`: scenario files; `template`: values drawn into requests;
//!   `request`: one request, written as HTTP/1.1; `mix`: the weighted
//!   choice among them; `schedule`: phases of an open loop; `threshold`:
//!   pass marks.
//! - `target`: where to connect; `plan`: a run resolved from its scenario.
//! - `run`: one run from start to reports, `progress_line` the line it
//!   shows meanwhile; `load`: threads, connections, closed and open loops;
//!   `connection`: one keep-alive connection; `cores`: whether the load
//!   owns its cores; `random`: the draws.
//! - `outcome`: what a request came to; `stats`: the run's counts and
//!   histograms; `series`: the same over time.
//! - `report`: a finished run as a table and as JSON; `html`: as a page
//!   (`report.js` draws its charts, `report.css` styles it); `machine`:
//!   what it ran on.
//! - `compare`: two reports side by side; `noise`: whether a change is
//!   beyond the runs' noise.
//! - `duration`: `10s`, `500ms`, as written.

mod command;
mod compare;
mod connection;
mod cores;
mod duration;
mod html;
mod load;
mod machine;
mod mix;
mod noise;
mod outcome;
mod plan;
mod progress_line;
mod random;
mod report;
mod request;
mod run;
mod scenario;
mod schedule;
mod series;
mod stats;
mod target;
mod template;
mod threshold;

pub use command::{run, BenchArgs};
