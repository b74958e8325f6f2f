//! A scenario file (`trellis bench --scenario load.toml`): several requests
//! with weights, values drawn into them, phases of load, and thresholds.
//!
//! ```toml
//! target = "http://127.0.0.1:3000"     # a URL on the command line wins
//! thresholds = ["p99 < 5ms", "errors < 0.1%"]
//!
//! [load]
//! connections = 64
//!
//! [values]
//! team = ["alpha", "beta", "gamma"]
//!
//! [[request]]
//! path = "/products/{1..10000}"        # a miss on purpose, most times
//! weight = 8
//!
//! [[request]]
//! method = "POST"
//! path = "/items"
//! headers = { content-type = "application/json" }
//! body = '{"team":"{team}","qty":{1..5}}'
//!
//! [[phase]]
//! name = "ramp-up"
//! duration = "10s"
//! ramp_from = 0
//! rate = 5000
//!
//! [[phase]]
//! name = "steady"
//! duration = "30s"
//! rate = 5000
//! ```
//!
//! Without phases a scenario runs like a single URL: a closed loop for
//! `[load] duration` or `requests`, or an open loop at `[load] rate`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::duration::parse_duration;
use super::request::RequestSpec;
use super::schedule::Phase;
use super::template::{Draw, Template, Values};
use super::threshold::Threshold;

/// How hard and how long to load; each setting may come from the file or
/// the command line (which wins).
#[derive(Debug, Clone, Default)]
pub struct Load {
    pub connections: Option<usize>,
    pub threads: Option<usize>,
    pub duration: Option<Duration>,
    pub requests: Option<u64>,
    pub rate: Option<f64>,
    pub timeout: Option<Duration>,
}

impl Load {
    /// These settings, with each one `over` gives in their place. A
    /// duration and a request count are one setting, when to stop: giving
    /// either replaces both.
    pub fn overlaid(self, over: Load) -> Load {
        let (duration, requests) = match (over.duration, over.requests) {
            (None, None) => (self.duration, self.requests),
            given => given,
        };
        Load {
            connections: over.connections.or(self.connections),
            threads: over.threads.or(self.threads),
            duration,
            requests,
            rate: over.rate.or(self.rate),
            timeout: over.timeout.or(self.timeout),
        }
    }
}

/// A run described in full, from a file or from the command line.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The URL to send to, scheme, host and port.
    pub target: Option<String>,
    pub seed: Option<u64>,
    pub load: Load,
    pub requests: Vec<RequestSpec>,
    pub phases: Vec<Phase>,
    pub thresholds: Vec<Threshold>,
    /// The file it came from, for the report.
    pub file: Option<PathBuf>,
}

impl Scenario {
    /// Reads and checks a scenario file; a body file is found beside it.
    pub fn load(path: &Path) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file: File = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        file.into_scenario(folder)
            .map(|scenario| Scenario {
                file: Some(path.to_path_buf()),
                ..scenario
            })
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    target: Option<String>,
    seed: Option<u64>,
    #[serde(default)]
    thresholds: Vec<String>,
    #[serde(default)]
    load: LoadTable,
    #[serde(default)]
    values: BTreeMap<String, toml::Value>,
    #[serde(default)]
    request: Vec<RequestTable>,
    #[serde(default)]
    phase: Vec<PhaseTable>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadTable {
    connections: Option<usize>,
    threads: Option<usize>,
    duration: Option<String>,
    requests: Option<u64>,
    rate: Option<f64>,
    timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestTable {
    name: Option<String>,
    method: Option<String>,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    /// Read from this file, found beside the scenario.
    body_file: Option<PathBuf>,
    weight: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseTable {
    name: Option<String>,
    duration: String,
    /// Requests per second; where the ramp ends, with `ramp_from`.
    rate: f64,
    /// The rate the phase starts at, ramping linearly to `rate`.
    ramp_from: Option<f64>,
}

impl File {
    fn into_scenario(self, folder: &Path) -> Result<Scenario, String> {
        let values = self
            .values
            .into_iter()
            .map(|(name, value)| {
                draw(&value)
                    .map(|draw| (name.clone(), draw))
                    .map_err(|e| format!("values.{name}: {e}"))
            })
            .collect::<Result<Values, String>>()?;
        if self.request.is_empty() {
            return Err("no [[request]]: a scenario needs at least one".to_string());
        }
        let requests = self
            .request
            .into_iter()
            .enumerate()
            .map(|(index, table)| table.into_spec(&values, folder, index + 1))
            .collect::<Result<Vec<_>, String>>()?;
        let phases = self
            .phase
            .into_iter()
            .enumerate()
            .map(|(index, table)| table.into_phase(index + 1))
            .collect::<Result<Vec<_>, String>>()?;
        let thresholds = self
            .thresholds
            .iter()
            .map(|text| Threshold::parse(text))
            .collect::<Result<Vec<_>, String>>()?;
        let duration = |key: &str, text: Option<String>| {
            text.map(|t| parse_duration(&t).map_err(|e| format!("load.{key}: {e}")))
                .transpose()
        };
        let load = Load {
            connections: self.load.connections,
            threads: self.load.threads,
            duration: duration("duration", self.load.duration)?,
            requests: self.load.requests,
            rate: self.load.rate,
            timeout: duration("timeout", self.load.timeout)?,
        };
        Ok(Scenario {
            target: self.target,
            seed: self.seed,
            load,
            requests,
            phases,
            thresholds,
            file: None,
        })
    }
}

impl RequestTable {
    /// Request number `number` (from 1) of the file.
    fn into_spec(
        self,
        values: &Values,
        folder: &Path,
        number: usize,
    ) -> Result<RequestSpec, String> {
        let method = self
            .method
            .unwrap_or_else(|| "GET".to_string())
            .to_ascii_uppercase();
        let name = self
            .name
            .unwrap_or_else(|| format!("{method} {}", self.path));
        let at = |what: &str, e: String| format!("request {number} ({name}): {what}: {e}");
        let target = Template::parse(&self.path, values).map_err(|e| at("path", e))?;
        let headers = self
            .headers
            .iter()
            .map(|(header, value)| {
                Template::parse(value, values)
                    .map(|template| (header.clone(), template))
                    .map_err(|e| at(&format!("headers.{header}"), e))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let body = match (self.body, self.body_file) {
            (Some(_), Some(_)) => {
                return Err(at("body", "give body or body_file, not both".into()))
            }
            (Some(body), None) => body,
            (None, Some(file)) => {
                let path = folder.join(&file);
                std::fs::read_to_string(&path)
                    .map_err(|e| at("body_file", format!("{}: {e}", path.display())))?
            }
            (None, None) => String::new(),
        };
        let body = Template::parse(&body, values).map_err(|e| at("body", e))?;
        let spec = RequestSpec {
            name,
            method,
            target,
            headers,
            body,
            weight: self.weight.unwrap_or(1),
        };
        spec.check()?;
        Ok(spec)
    }
}

impl PhaseTable {
    fn into_phase(self, number: usize) -> Result<Phase, String> {
        let name = self.name.unwrap_or_else(|| format!("phase {number}"));
        let duration =
            parse_duration(&self.duration).map_err(|e| format!("phase {name}: duration: {e}"))?;
        Ok(Phase {
            duration,
            from: self.ramp_from.unwrap_or(self.rate),
            to: self.rate,
            name,
        })
    }
}

/// A named value: a list of strings or numbers, or a range `"1..10000"`.
fn draw(value: &toml::Value) -> Result<Draw, String> {
    let wanted = "a list like [\"a\", \"b\"] or a range like \"1..10000\"";
    match value {
        toml::Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| match item {
                    toml::Value::String(text) => Ok(text.clone()),
                    toml::Value::Integer(n) => Ok(n.to_string()),
                    toml::Value::Float(x) => Ok(x.to_string()),
                    other => Err(format!("{other} is not a string or a number")),
                })
                .collect::<Result<Vec<_>, String>>()?;
            Draw::list(items)
        }
        toml::Value::String(text) => Draw::range(text).unwrap_or_else(|| Err(wanted.to_string())),
        _ => Err(wanted.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        file.into_scenario(Path::new("."))
    }

    #[test]
    fn a_scenario_reads_its_requests_values_phases_and_thresholds() {
        let scenario = parse(
            r#"
            target = "http://127.0.0.1:3000"
            seed = 7
            thresholds = ["p99 < 5ms", "errors < 0.1%"]

            [load]
            connections = 8
            timeout = "2s"

            [values]
            team = ["alpha", "beta"]
            id = "1..500"

            [[request]]
            path = "/dashboard/{team}"
            weight = 3

            [[request]]
            name = "new item"
            method = "post"
            path = "/items/{id}"
            headers = { content-type = "application/json" }
            body = '{"qty":{1..5}}'

            [[phase]]
            name = "ramp-up"
            duration = "2s"
            ramp_from = 0
            rate = 100

            [[phase]]
            duration = "1s"
            rate = 100
            "#,
        )
        .unwrap();
        assert_eq!(scenario.target.as_deref(), Some("http://127.0.0.1:3000"));
        assert_eq!(scenario.seed, Some(7));
        assert_eq!(scenario.load.connections, Some(8));
        assert_eq!(scenario.load.timeout, Some(Duration::from_secs(2)));
        assert_eq!(scenario.requests.len(), 2);
        assert_eq!(scenario.requests[0].name, "GET /dashboard/{team}");
        assert_eq!(scenario.requests[0].weight, 3);
        assert_eq!(scenario.requests[1].method, "POST");
        assert_eq!(scenario.requests[1].name, "new item");
        assert_eq!(scenario.phases[0].from, 0.0);
        assert_eq!(scenario.phases[1].name, "phase 2");
        assert_eq!(scenario.phases[1].from, 100.0);
        assert_eq!(scenario.thresholds.len(), 2);
    }

    #[test]
    fn mistakes_in_a_scenario_name_where_they_are() {
        let cases = [
            ("[[request]]\npath = \"/a\"\nwieght = 2\n", "wieght"),
            ("[[request]]\npath = \"/p/{nope}\"\n", "[values]"),
            (
                "[values]\nid = \"1-9\"\n[[request]]\npath = \"/a\"\n",
                "values.id",
            ),
            (
                "[load]\nduration = \"ages\"\n[[request]]\npath = \"/a\"\n",
                "load.duration",
            ),
            (
                "thresholds = [\"p99 5ms\"]\n[[request]]\npath = \"/a\"\n",
                "p99 5ms",
            ),
            ("target = \"http://h\"\n", "[[request]]"),
        ];
        for (text, named) in cases {
            let error = parse(text).unwrap_err();
            assert!(error.contains(named), "{text}: {error}");
        }
    }

    #[test]
    fn the_command_line_wins_over_the_file() {
        let file = Load {
            connections: Some(8),
            rate: Some(100.0),
            ..Load::default()
        };
        let flags = Load {
            connections: Some(2),
            ..Load::default()
        };
        let load = file.clone().overlaid(flags);
        assert_eq!((load.connections, load.rate), (Some(2), Some(100.0)));
        let counted = Load {
            requests: Some(50),
            ..Load::default()
        };
        let timed = Load {
            duration: Some(Duration::from_secs(30)),
            ..file
        };
        let load = timed.overlaid(counted);
        assert_eq!((load.duration, load.requests), (None, Some(50)));
    }
}
