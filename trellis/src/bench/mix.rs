//! The requests of a run and how often each is sent: a weighted choice,
//! made afresh for every request.

use serde_json::{json, Value};

use super::random::Random;
use super::request::{PreparedRequest, RequestSpec};

/// Every request of a run, prepared for its host, with their weights.
#[derive(Debug)]
pub struct RequestMix {
    requests: Vec<PreparedRequest>,
    specs: Vec<RequestSpec>,
    /// Running totals of the weights: request `i` is picked when a draw
    /// below the total falls under `cumulative[i]` and no earlier one.
    cumulative: Vec<u64>,
}

impl RequestMix {
    /// `specs` (at least one, each checked) prepared for `host`.
    pub fn new(specs: Vec<RequestSpec>, host: &str) -> Result<RequestMix, String> {
        if specs.is_empty() {
            return Err("a run needs at least one request".to_string());
        }
        let mut total = 0u64;
        let mut cumulative = Vec::with_capacity(specs.len());
        for spec in &specs {
            spec.check()?;
            total = total
                .checked_add(spec.weight)
                .ok_or("the weights add up past 2^64")?;
            cumulative.push(total);
        }
        Ok(RequestMix {
            requests: specs
                .iter()
                .map(|spec| PreparedRequest::new(spec, host))
                .collect(),
            specs,
            cumulative,
        })
    }

    pub fn count(&self) -> usize {
        self.requests.len()
    }

    /// The name the report gives request `index`.
    pub fn name(&self, index: usize) -> &str {
        &self.specs[index].name
    }

    /// Picks the next request to send: its index, and the request. A run
    /// of one request draws nothing.
    pub fn pick(&self, random: &mut Random) -> (usize, &PreparedRequest) {
        if self.requests.len() == 1 {
            return (0, &self.requests[0]);
        }
        let total = self.cumulative[self.cumulative.len() - 1];
        let draw = random.below(total);
        let index = self.cumulative.partition_point(|&end| end <= draw);
        (index, &self.requests[index])
    }

    /// The requests as the report's settings list them.
    pub fn describe(&self) -> Value {
        self.specs
            .iter()
            .map(|spec| {
                json!({
                    "name": spec.name,
                    "method": spec.method,
                    "path": spec.target.source(),
                    "weight": spec.weight,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::template::Template;

    fn spec(path: &str, weight: u64) -> RequestSpec {
        RequestSpec {
            name: path.to_string(),
            method: "GET".to_string(),
            target: Template::literal(path),
            headers: Vec::new(),
            body: Template::literal(""),
            weight,
        }
    }

    #[test]
    fn requests_are_picked_in_proportion_to_their_weights() {
        let mix = RequestMix::new(vec![spec("/a", 3), spec("/b", 1)], "h:80").unwrap();
        let mut random = Random::new(5);
        let mut picked = [0u32; 2];
        for _ in 0..40_000 {
            picked[mix.pick(&mut random).0] += 1;
        }
        // 30,000 and 10,000 expected, give or take about 90.
        assert!((29_500..30_500).contains(&picked[0]), "{picked:?}");
        assert_eq!(mix.name(1), "/b");
    }

    #[test]
    fn a_run_needs_a_request_and_weights_of_at_least_one() {
        assert!(RequestMix::new(Vec::new(), "h:80").is_err());
        assert!(RequestMix::new(vec![spec("/a", 0)], "h:80").is_err());
    }
}
