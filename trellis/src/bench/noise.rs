//! Whether two runs differ by more than their own noise, as criterion
//! decides it: resample each run's intervals (bootstrap), see where the
//! relative change of the means falls in 95% of the resamples, and call a
//! change real only when that interval leaves out zero and the noise
//! threshold.

use super::random::Random;

/// Resamples drawn: enough for stable 2.5% and 97.5% points.
const RESAMPLES: usize = 10_000;

/// Fixed, so that the same two reports always get the same verdict.
const SEED: u64 = 0x7e11_15be_c4c4;

/// The relative change of the candidate's mean over the baseline's
/// (`0.05` is 5% more), and the interval 95% of the resamples fell in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// What a change amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The interval holds zero: no change detected.
    NoChange,
    /// Real, perhaps, but all of the interval is inside the noise threshold.
    WithinNoise,
    Improved,
    Regressed,
    /// Too few intervals in a run to tell.
    Unknown,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::NoChange => "no change",
            Verdict::WithinNoise => "within noise threshold",
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Unknown => "noise unknown",
        }
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The change from `baseline`'s samples to `candidate`'s; `None` with
/// fewer than two samples on a side or a baseline whose mean is 0.
pub fn change(baseline: &[f64], candidate: &[f64]) -> Option<Change> {
    if baseline.len() < 2 || candidate.len() < 2 {
        return None;
    }
    let base = mean(baseline);
    if base == 0.0 {
        return None;
    }
    let mut random = Random::new(SEED);
    let mut resample = |values: &[f64]| {
        let n = values.len() as u64;
        (0..values.len())
            .map(|_| values[random.below(n) as usize])
            .sum::<f64>()
            / values.len() as f64
    };
    let mut changes: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let (b, c) = (resample(baseline), resample(candidate));
            (b != 0.0).then(|| c / b - 1.0)
        })
        .collect();
    if changes.len() < RESAMPLES / 2 {
        return None;
    }
    changes.sort_by(f64::total_cmp);
    let at = |q: f64| changes[((changes.len() - 1) as f64 * q).round() as usize];
    Some(Change {
        estimate: mean(candidate) / base - 1.0,
        low: at(0.025),
        high: at(0.975),
    })
}

/// What `change` amounts to, for a figure where more is better or not.
pub fn verdict(change: Option<Change>, noise_threshold: f64, more_is_better: bool) -> Verdict {
    let Some(change) = change else {
        return Verdict::Unknown;
    };
    if change.low <= 0.0 && change.high >= 0.0 {
        Verdict::NoChange
    } else if change.low >= -noise_threshold && change.high <= noise_threshold {
        Verdict::WithinNoise
    } else if (change.estimate > 0.0) == more_is_better {
        Verdict::Improved
    } else {
        Verdict::Regressed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` samples around `centre`, spread by `spread` either way.
    fn noisy(centre: f64, spread: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut random = Random::new(seed);
        (0..n)
            .map(|_| centre + spread * (random.below(2001) as f64 / 1000.0 - 1.0))
            .collect()
    }

    #[test]
    fn two_runs_of_the_same_noise_show_no_change() {
        let (a, b) = (noisy(1000.0, 50.0, 60, 1), noisy(1000.0, 50.0, 60, 2));
        let found = change(&a, &b).unwrap();
        assert!(found.low < 0.0 && found.high > 0.0, "{found:?}");
        assert_eq!(verdict(Some(found), 0.02, true), Verdict::NoChange);
    }

    #[test]
    fn a_halved_rate_is_a_regression_and_halved_latency_an_improvement() {
        let (a, b) = (noisy(1000.0, 50.0, 60, 1), noisy(500.0, 50.0, 60, 2));
        let found = change(&a, &b).unwrap();
        assert!((found.estimate + 0.5).abs() < 0.05, "{found:?}");
        assert!(found.high < -0.4, "{found:?}");
        assert_eq!(verdict(Some(found), 0.02, true), Verdict::Regressed);
        assert_eq!(verdict(Some(found), 0.02, false), Verdict::Improved);
    }

    #[test]
    fn a_real_but_small_change_is_within_the_noise_threshold() {
        let (a, b) = (noisy(1000.0, 1.0, 100, 1), noisy(1005.0, 1.0, 100, 2));
        let found = change(&a, &b).unwrap();
        assert!(found.low > 0.0, "{found:?}");
        assert_eq!(verdict(Some(found), 0.02, true), Verdict::WithinNoise);
        assert_eq!(verdict(Some(found), 0.001, true), Verdict::Improved);
    }

    #[test]
    fn too_few_samples_tell_nothing() {
        assert_eq!(change(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(verdict(None, 0.02, true), Verdict::Unknown);
    }
}
