//! A run resolved from its scenario: where to connect, the requests ready
//! to send, how many connections and threads, the pace and when to stop.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::cores::owns_cores;
use super::mix::RequestMix;
use super::random::Random;
use super::scenario::Scenario;
use super::schedule::Schedule;
use super::target::Target;
use super::threshold::Threshold;

/// Connections when neither the scenario nor the command line says.
const CONNECTIONS: usize = 32;
/// How long a run lasts when nothing says, as wrk's.
const DURATION: Duration = Duration::from_secs(10);
/// A request with no response by then counts as a timeout error.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How long to run.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    Elapsed(Duration),
    Requests(u64),
}

/// When requests go.
#[derive(Debug, Clone)]
pub enum Pace {
    /// Each connection sends when its last response is in.
    Closed,
    /// Each request at its time, whatever the responses do.
    Open(Arc<Schedule>),
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    pub mix: Arc<RequestMix>,
    pub connections: usize,
    pub threads: usize,
    pub until: Until,
    pub pace: Pace,
    pub timeout: Duration,
    /// Keep each load thread polling while responses keep coming; for a
    /// load generator pinned to cores of its own.
    pub spin: bool,
    /// Where each connection's draws start: the same seed, the same
    /// requests in the same order on each connection.
    pub seed: u64,
    pub scenario: Option<PathBuf>,
}

impl Plan {
    /// Resolves `scenario`, whose target must be set by now; returns the
    /// plan and the run's thresholds.
    pub fn new(scenario: Scenario) -> Result<(Plan, Vec<Threshold>), String> {
        let url = scenario
            .target
            .ok_or("no target: give a URL, or `target` in the scenario")?;
        let (target, _) = Target::parse(&url)?;
        let load = scenario.load;
        let connections = load.connections.unwrap_or(CONNECTIONS);
        let threads = load.threads.unwrap_or(1);
        if connections == 0 || threads == 0 {
            return Err("connections and threads must be at least 1".to_string());
        }
        let threads = threads.min(connections);
        if load.duration.is_some() && load.requests.is_some() {
            return Err("give a duration or a request count, not both".to_string());
        }
        let (pace, until) = match (scenario.phases.is_empty(), load.rate) {
            (false, Some(_)) => {
                return Err("the phases set the rate: leave out the run's own rate".to_string())
            }
            (false, None) if load.duration.is_some() => {
                return Err("the phases set how long the run lasts: leave out its duration".into())
            }
            (false, None) => {
                let schedule = Schedule::new(scenario.phases)?;
                let until = load
                    .requests
                    .map_or(Until::Elapsed(schedule.duration()), Until::Requests);
                (Pace::Open(Arc::new(schedule)), until)
            }
            (true, Some(rate)) if !(rate > 0.0 && rate.is_finite()) => {
                return Err(format!(
                    "{rate} is not a rate: requests per second, above 0"
                ))
            }
            (true, Some(rate)) => {
                let duration = match load.requests {
                    Some(n) => Duration::try_from_secs_f64(n as f64 / rate)
                        .map_err(|e| format!("{n} requests at {rate}/s: {e}"))?,
                    None => load.duration.unwrap_or(DURATION),
                };
                let until = load
                    .requests
                    .map_or(Until::Elapsed(duration), Until::Requests);
                (
                    Pace::Open(Arc::new(Schedule::constant(rate, duration)?)),
                    until,
                )
            }
            (true, None) => {
                let until = load.requests.map_or(
                    Until::Elapsed(load.duration.unwrap_or(DURATION)),
                    Until::Requests,
                );
                (Pace::Closed, until)
            }
        };
        let mix = RequestMix::new(scenario.requests, &target.host)?;
        let plan = Plan {
            target,
            mix: Arc::new(mix),
            connections,
            threads,
            until,
            pace,
            timeout: load.timeout.unwrap_or(TIMEOUT),
            spin: owns_cores(threads),
            seed: scenario.seed.unwrap_or_else(Random::seed_from_clock),
            scenario: scenario.file,
        };
        Ok((plan, scenario.thresholds))
    }

    /// The run's settings, for the reports.
    pub fn describe(&self) -> Value {
        let (pace, phases) = match &self.pace {
            Pace::Closed => ("closed loop", Value::Null),
            Pace::Open(schedule) => ("open loop", schedule.describe()),
        };
        let until = match self.until {
            Until::Elapsed(duration) => json!({ "duration_secs": duration.as_secs_f64() }),
            Until::Requests(n) => json!({ "requests": n }),
        };
        json!({
            "target": self.target.url,
            "scenario": self.scenario.as_ref().map(|file| file.display().to_string()),
            "connections": self.connections,
            "threads": self.threads,
            "pace": pace,
            "phases": phases,
            "until": until,
            "timeout_secs": self.timeout.as_secs_f64(),
            "seed": self.seed,
            "requests": self.mix.describe(),
        })
    }
}
