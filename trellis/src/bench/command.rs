//! `trellis bench`'s command line: a URL or a scenario file to load, or
//! `trellis bench compare a.json b.json`; and the dispatch to each.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::compare::{self, CompareArgs};
use super::duration::parse_duration;
use super::plan::Plan;
use super::request::RequestSpec;
use super::run::{self, Output};
use super::scenario::{Load, Scenario};
use super::target::Target;
use super::template::Template;
use super::threshold::Threshold;

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: Option<BenchCommand>,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(Debug, Clone, Subcommand)]
enum BenchCommand {
    /// Compare two `--json` reports figure by figure: the change, and
    /// whether it is beyond the runs' own noise (from their time series).
    Compare(CompareArgs),
}

#[derive(Debug, Clone, Args)]
struct LoadArgs {
    /// The URL to load, e.g. http://127.0.0.1:3000/api/hello; with
    /// --scenario, only the server to load (http://host:port), in place of
    /// the scenario's `target`.
    url: Option<String>,
    /// A scenario file (TOML): weighted requests drawing values, phases of
    /// load, thresholds.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Connections kept open [default: 32].
    #[arg(short, long)]
    connections: Option<usize>,
    /// Threads sending requests [default: 1].
    #[arg(short, long)]
    threads: Option<usize>,
    /// How long to run (`10s`, `500ms`, `1m`) [default: 10s].
    #[arg(short, long, value_parser = parse_duration, conflicts_with = "requests")]
    duration: Option<Duration>,
    /// Stop after this many requests instead.
    #[arg(short = 'n', long)]
    requests: Option<u64>,
    /// Open loop: send this many requests per second in total, latency
    /// measured from each request's intended time (wrk2's correction).
    #[arg(long)]
    rate: Option<f64>,
    /// The method [default: GET].
    #[arg(short, long, conflicts_with = "scenario")]
    method: Option<String>,
    /// A request header, `name: value`; repeat for more.
    #[arg(short = 'H', long = "header", conflicts_with = "scenario")]
    headers: Vec<String>,
    /// The request body.
    #[arg(long, conflicts_with_all = ["body_file", "scenario"])]
    body: Option<String>,
    /// The request body, from a file.
    #[arg(long, conflicts_with = "scenario")]
    body_file: Option<PathBuf>,
    /// A request with no response by then counts as a timeout error
    /// [default: 10s].
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// A pass mark, e.g. 'p99 < 5ms' or 'errors < 0.1%'; repeat for more.
    /// A run that misses one exits with status 99.
    #[arg(long = "threshold")]
    thresholds: Vec<String>,
    /// Seed for the values drawn into requests and the choice among them,
    /// to send the same requests again [default: from the clock].
    #[arg(long)]
    seed: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the report as one self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

pub fn run(args: BenchArgs) -> ExitCode {
    match args.command {
        Some(BenchCommand::Compare(compare)) => compare::run(&compare),
        None => load(args.load),
    }
}

fn load(args: LoadArgs) -> ExitCode {
    let planned = args.scenario().and_then(Plan::new);
    match planned {
        Ok((plan, thresholds)) => {
            let output = Output {
                json: args.json,
                html: args.html,
            };
            run::run(plan, thresholds, output)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

impl LoadArgs {
    /// The run these flags ask for: the scenario file with the flags over
    /// it, or the one request the URL and flags describe.
    fn scenario(&self) -> Result<Scenario, String> {
        let mut scenario = match &self.scenario {
            Some(file) => {
                let mut scenario = Scenario::load(file)?;
                if let Some(url) = &self.url {
                    let (_, path) = Target::parse(url)?;
                    if path != "/" {
                        return Err(format!(
                            "{url}: with --scenario the URL names only the server \
                             (http://host:port); the paths come from the scenario"
                        ));
                    }
                    scenario.target = Some(url.clone());
                }
                scenario
            }
            None => {
                let url = self
                    .url
                    .as_ref()
                    .ok_or("give a URL to load, or --scenario FILE")?;
                let (_, path) = Target::parse(url)?;
                Scenario {
                    target: Some(url.clone()),
                    seed: None,
                    load: Load::default(),
                    requests: vec![self.request(&path)?],
                    phases: Vec::new(),
                    thresholds: Vec::new(),
                    file: None,
                }
            }
        };
        let flags = Load {
            connections: self.connections,
            threads: self.threads,
            duration: self.duration,
            requests: self.requests,
            rate: self.rate,
            timeout: self.timeout,
        };
        scenario.load = scenario.load.overlaid(flags);
        for text in &self.thresholds {
            scenario.thresholds.push(Threshold::parse(text)?);
        }
        scenario.seed = self.seed.or(scenario.seed);
        Ok(scenario)
    }

    /// The request of a single-URL run, sent as given: no values drawn.
    fn request(&self, path: &str) -> Result<RequestSpec, String> {
        let method = self.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        let headers = self
            .headers
            .iter()
            .map(|header| {
                let (name, value) = header
                    .split_once(':')
                    .ok_or_else(|| format!("header {header:?} is not `name: value`"))?;
                Ok((name.trim().to_string(), Template::literal(value.trim())))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let body = match (&self.body, &self.body_file) {
            (Some(body), _) => body.clone().into_bytes(),
            (None, Some(file)) => {
                std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?
            }
            (None, None) => Vec::new(),
        };
        let spec = RequestSpec {
            name: format!("{method} {path}"),
            method,
            target: Template::literal(path),
            headers,
            body: Template::bytes(body),
            weight: 1,
        };
        spec.check()?;
        Ok(spec)
    }
}
