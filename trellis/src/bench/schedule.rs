//! When each request of an open loop is due: phases of a constant rate or
//! of a rate ramping linearly from one value to another (ramp-up, steady,
//! spike, ramp-down), one after another.
//!
//! Requests are numbered across the whole run, 0, 1, 2, ...; request `i` is
//! due when the requests the rate has called for so far reach `i`. With
//! `c` connections, connection `k` sends requests `k`, `k + c`, `k + 2c`, ...
//! so that the connections take turns and none sends in step with another.

use std::time::Duration;

use serde_json::{json, Value};

/// One stretch of the run at a rate, or at a rate ramping from `from` to
/// `to` (requests per second).
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub name: String,
    pub duration: Duration,
    pub from: f64,
    pub to: f64,
}

impl Phase {
    /// Requests it calls for: the area under its rate.
    fn requests(&self) -> f64 {
        (self.from + self.to) / 2.0 * self.duration.as_secs_f64()
    }

    /// How far into the phase its `n`th request (counting from 0, and
    /// fractions of one) is due.
    ///
    /// Requests called for by `t`: `from·t + (to − from)·t²/(2d)`. Solved
    /// for `t` in the form that stays exact for a flat rate and for a ramp
    /// from 0: `t = 2n / (from + √(from² + 2n(to − from)/d))`.
    fn offset_of(&self, n: f64) -> f64 {
        let seconds = self.duration.as_secs_f64();
        let slope = (self.to - self.from) / seconds;
        let root = (self.from * self.from + 2.0 * n * slope).max(0.0).sqrt();
        let denominator = self.from + root;
        match denominator > 0.0 {
            true => (2.0 * n / denominator).min(seconds),
            false => 0.0,
        }
    }
}

/// Phases in order, and where each begins.
#[derive(Debug, Clone)]
pub struct Schedule {
    phases: Vec<Phase>,
    /// Per phase: its start, and the requests called for before it.
    starts: Vec<(Duration, f64)>,
    total: f64,
    duration: Duration,
}

impl Schedule {
    /// Refuses no phases, a phase of no time, and a rate that is negative
    /// or not a number.
    pub fn new(phases: Vec<Phase>) -> Result<Schedule, String> {
        if phases.is_empty() {
            return Err("an open loop needs at least one phase".to_string());
        }
        let mut starts = Vec::with_capacity(phases.len());
        let (mut at, mut before) = (Duration::ZERO, 0.0);
        for phase in &phases {
            let name = &phase.name;
            if phase.duration.is_zero() {
                return Err(format!("phase {name}: its duration is 0"));
            }
            for rate in [phase.from, phase.to] {
                if !rate.is_finite() || rate < 0.0 {
                    return Err(format!(
                        "phase {name}: {rate} is not a rate (requests per second, 0 or more)"
                    ));
                }
            }
            starts.push((at, before));
            at += phase.duration;
            before += phase.requests();
        }
        Ok(Schedule {
            phases,
            starts,
            total: before,
            duration: at,
        })
    }

    /// One phase at `rate` for `duration`: what `--rate` asks for.
    pub fn constant(rate: f64, duration: Duration) -> Result<Schedule, String> {
        Schedule::new(vec![Phase {
            name: "constant".to_string(),
            duration,
            from: rate,
            to: rate,
        }])
    }

    /// The whole run's length.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Requests the phases call for in all.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// When request `index` is due, from the start of the run; `None` for
    /// a request past the last phase.
    pub fn due(&self, index: u64) -> Option<Duration> {
        let n = index as f64;
        if n >= self.total {
            return None;
        }
        // The last phase that begins at or before the request: a phase that
        // calls for nothing (a pause) is passed over, as its successor
        // begins at the same count.
        let phase = self.starts.partition_point(|&(_, before)| before <= n) - 1;
        let (start, before) = self.starts[phase];
        let offset = self.phases[phase].offset_of(n - before);
        Some(start + Duration::from_secs_f64(offset))
    }

    /// The phases as the report's settings list them.
    pub fn describe(&self) -> Value {
        self.phases
            .iter()
            .zip(&self.starts)
            .map(|(phase, (start, _))| {
                json!({
                    "name": phase.name,
                    "start_secs": start.as_secs_f64(),
                    "duration_secs": phase.duration.as_secs_f64(),
                    "from_rate": phase.from,
                    "rate": phase.to,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(name: &str, seconds: f64, from: f64, to: f64) -> Phase {
        Phase {
            name: name.to_string(),
            duration: Duration::from_secs_f64(seconds),
            from,
            to,
        }
    }

    fn secs(schedule: &Schedule, index: u64) -> f64 {
        schedule.due(index).expect("within the run").as_secs_f64()
    }

    #[test]
    fn a_constant_rate_spaces_requests_evenly() {
        let schedule = Schedule::constant(100.0, Duration::from_secs(2)).unwrap();
        assert_eq!(schedule.total(), 200.0);
        assert!((secs(&schedule, 0) - 0.0).abs() < 1e-9);
        assert!((secs(&schedule, 50) - 0.5).abs() < 1e-9);
        assert!((secs(&schedule, 199) - 1.99).abs() < 1e-9);
        assert_eq!(schedule.due(200), None);
    }

    #[test]
    fn a_ramp_from_zero_sends_a_quarter_of_its_requests_in_its_first_half() {
        // 0 to 1000 per second over 2 s: 1000 requests, 250 in the first
        // second, and the rest as the rate climbs.
        let schedule = Schedule::new(vec![phase("ramp-up", 2.0, 0.0, 1000.0)]).unwrap();
        assert_eq!(schedule.total(), 1000.0);
        assert!((secs(&schedule, 250) - 1.0).abs() < 1e-6);
        assert!((secs(&schedule, 0)).abs() < 1e-9);
        let gaps: Vec<f64> = (1..1000)
            .map(|i| secs(&schedule, i) - secs(&schedule, i - 1))
            .collect();
        assert!(
            gaps.windows(2).all(|w| w[1] <= w[0] + 1e-9),
            "faster and faster"
        );
    }

    #[test]
    fn phases_follow_one_another_and_a_spike_packs_its_requests() {
        let schedule = Schedule::new(vec![
            phase("steady", 1.0, 100.0, 100.0),
            phase("spike", 0.5, 1000.0, 1000.0),
            phase("pause", 1.0, 0.0, 0.0),
            phase("ramp-down", 1.0, 100.0, 0.0),
        ])
        .unwrap();
        assert_eq!(schedule.total(), 100.0 + 500.0 + 50.0);
        assert_eq!(schedule.duration(), Duration::from_secs_f64(3.5));
        assert!((secs(&schedule, 100) - 1.0).abs() < 1e-9);
        assert!((secs(&schedule, 350) - 1.25).abs() < 1e-9);
        // The pause sends nothing: the next request opens the ramp-down.
        assert!((secs(&schedule, 600) - 2.5).abs() < 1e-9);
        assert!(secs(&schedule, 649) < 3.5);
    }

    #[test]
    fn a_phase_of_no_time_or_a_negative_rate_is_refused() {
        assert!(Schedule::new(vec![phase("none", 0.0, 1.0, 1.0)]).is_err());
        assert!(Schedule::new(vec![phase("down", 1.0, -1.0, 1.0)]).is_err());
        assert!(Schedule::new(Vec::new()).is_err());
    }
}
