//! The `source` of a `trellis.toml` rule with its `has` and `missing`
//! conditions: whether a request meets them, the params it gives, and the
//! checks made at start-up on what a destination asks of them.

use trellis_config::{Condition, ConfigError};
use trellis_routes::{percent, ParamValue, Params, PathMatcher};

use crate::runtime::conditions::Conditions;
use crate::runtime::destination::Destination;
use crate::runtime::request_view::RequestView;

pub(crate) struct RuleSource {
    path: PathMatcher,
    conditions: Conditions,
}

impl RuleSource {
    /// `key` names the rule list (`rewrites`) in errors, with the line.
    pub(crate) fn compile(
        key: &str,
        line: Option<usize>,
        source: &str,
        has: &[Condition],
        missing: &[Condition],
    ) -> Result<RuleSource, ConfigError> {
        let path = PathMatcher::parse(source)
            .map_err(|e| rule_error(&format!("{key}.source"), line, &e.to_string()))?;
        let conditions =
            Conditions::compile(has, missing).map_err(|problem| rule_error(key, line, &problem))?;
        Ok(RuleSource { path, conditions })
    }

    pub(crate) fn source(&self) -> &str {
        self.path.source()
    }

    /// The literal text every path the rule matches starts with.
    pub(crate) fn literal_prefix(&self) -> &str {
        self.path.literal_prefix()
    }

    /// Whether the request meets the rule. A path the matcher gives up on
    /// is no match: a rule adds to what is served, and skipping it serves
    /// what the app would serve without it.
    pub(crate) fn applies(&self, request: &RequestView) -> bool {
        self.path.is_match(&request.path).unwrap_or(false) && self.conditions.allow(request)
    }

    /// The params of a request that meets the rule.
    pub(crate) fn params(&self, request: &RequestView) -> Option<Params> {
        let mut params = self.path.captures(&request.path).ok()??;
        self.conditions
            .allow_capturing(request, &mut params)
            .then_some(params)
    }

    /// Refuses a destination that uses a param neither the source nor a
    /// `has` condition gives.
    pub(crate) fn check_destination(
        &self,
        destination: &Destination,
        key: &str,
        line: Option<usize>,
    ) -> Result<(), ConfigError> {
        let captured = self.conditions.param_names();
        for name in destination.param_names() {
            let given =
                self.path.param_names().any(|n| n == name) || captured.iter().any(|n| n == name);
            if !given {
                let problem = format!(
                    "the destination uses `:{name}`, which neither `{}` nor a `has` condition gives",
                    self.path.source()
                );
                return Err(rule_error(&format!("{key}.destination"), line, &problem));
            }
        }
        Ok(())
    }

    /// Whether a request the rule sends to `destination` would meet the
    /// rule again (the same path, with no condition that could tell the
    /// two apart): a loop that start-up can see.
    pub(crate) fn loops_through(&self, destination: &Destination) -> bool {
        if !self.conditions.is_empty() {
            return false;
        }
        let mut sample = Params::default();
        for name in self.path.param_names() {
            sample.insert(name, ParamValue::Many(vec!["x".to_string()]));
        }
        let Some(path) = destination.sample_path(&sample) else {
            return false;
        };
        let Ok(path) = percent::decode_path(&path) else {
            return false;
        };
        self.path.is_match(&path).unwrap_or(false)
    }
}

pub(crate) fn rule_error(key: &str, line: Option<usize>, problem: &str) -> ConfigError {
    ConfigError::Rule {
        key: key.to_string(),
        line: line.unwrap_or(0),
        problem: problem.to_string(),
    }
}
