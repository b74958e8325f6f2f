//! Path rules from `trellis.toml`, as next.config.js `redirects()` and
//! `headers()` give them: redirects answered before any route runs, headers
//! added to every response whose path matches.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use trellis_config::{ConfigError, HeaderRule, RedirectRule};
use trellis_routes::{percent, ParamValue, Params, PatternSegment, RoutePattern, RouteTable};

use crate::api::response::Response;

/// The compiled rules; empty (and free) when the file has none.
#[derive(Default)]
pub(crate) struct PathRules {
    redirects: Vec<(RouteTable, RedirectRule)>,
    headers: Vec<(RouteTable, Vec<(HeaderName, HeaderValue)>)>,
}

impl PathRules {
    /// Compiles the rules; `routes` are the app's, so that a header rule that
    /// can match none of them is reported.
    pub(crate) fn compile(
        redirects: &[RedirectRule],
        headers: &[HeaderRule],
        routes: &RouteTable,
    ) -> Result<Self, ConfigError> {
        let mut rules = PathRules::default();
        for rule in redirects {
            let table = single_route("redirects.source", &rule.source, rule.line)?;
            rules.redirects.push((table, rule.clone()));
        }
        for rule in headers {
            let table = single_route("headers.source", &rule.source, rule.line)?;
            let samples = routes
                .routes()
                .iter()
                .filter_map(|r| sample_path(&r.pattern));
            if !samples
                .into_iter()
                .any(|path| matches!(table.match_path(&path), Ok(Some(_))))
            {
                return Err(rule_error(
                    "headers.source",
                    rule.line,
                    "matches no route of the app",
                ));
            }
            rules
                .headers
                .push((table, checked_headers(&rule.headers, rule.line)?));
        }
        Ok(rules)
    }

    /// The redirect for `path`, if a rule has one.
    pub(crate) fn redirect(&self, path: &str, query: Option<&str>) -> Option<Response> {
        self.redirects.iter().find_map(|(table, rule)| {
            let matched = table.match_path(path).ok()??;
            let mut location = fill(&rule.destination, &matched.params);
            if let Some(query) = query.filter(|_| !location.contains('?')) {
                location.push('?');
                location.push_str(query);
            }
            let status = match rule.permanent {
                true => StatusCode::PERMANENT_REDIRECT,
                false => StatusCode::TEMPORARY_REDIRECT,
            };
            Response::to_location(status, &location)
        })
    }

    /// Adds the headers of every rule matching `path`.
    pub(crate) fn add_headers(&self, path: &str, response: &mut Response) {
        for (table, headers) in &self.headers {
            if matches!(table.match_path(path), Ok(Some(_))) {
                for (name, value) in headers {
                    response.headers_mut().insert(name.clone(), value.clone());
                }
            }
        }
    }
}

/// Header names and values from the file, checked once at start-up.
pub(crate) fn checked_headers(
    headers: &std::collections::BTreeMap<String, String>,
    line: Option<usize>,
) -> Result<Vec<(HeaderName, HeaderValue)>, ConfigError> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::try_from(name.as_str()).map_err(|_| {
                rule_error("headers", line, &format!("`{name}` is not a header name"))
            })?;
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                rule_error(
                    "headers",
                    line,
                    &format!("the value of `{name}` is not header text"),
                )
            })?;
            Ok((name, value))
        })
        .collect()
}

fn single_route(key: &str, source: &str, line: Option<usize>) -> Result<RouteTable, ConfigError> {
    let pattern = RoutePattern::parse(source).map_err(|e| rule_error(key, line, &e.to_string()))?;
    RouteTable::build([(pattern, source.to_string())])
        .map_err(|e| rule_error(key, line, &e.to_string()))
}

pub(crate) fn rule_error(key: &str, line: Option<usize>, problem: &str) -> ConfigError {
    ConfigError::Rule {
        key: key.to_string(),
        line: line.unwrap_or(0),
        problem: problem.to_string(),
    }
}

/// A path the pattern answers, with `x` for every param: enough to test
/// whether a rule's pattern overlaps a route.
fn sample_path(pattern: &RoutePattern) -> Option<String> {
    let names = pattern
        .segments()
        .iter()
        .filter_map(PatternSegment::param_name);
    let params = Params::from_pairs(names.map(|n| (&**n, "x")).collect::<Vec<_>>());
    pattern.path_for(&params)
}

/// `destination` with `[name]` and `[...name]` replaced by the params.
fn fill(destination: &str, params: &Params) -> String {
    let mut filled = destination.to_string();
    for (name, value) in params.iter() {
        let text = match value {
            ParamValue::One(one) => percent::encode(one).into_owned(),
            ParamValue::Many(many) => many
                .iter()
                .map(|s| percent::encode(s))
                .collect::<Vec<_>>()
                .join("/"),
        };
        for placeholder in [
            format!("[[...{name}]]"),
            format!("[...{name}]"),
            format!("[{name}]"),
        ] {
            filled = filled.replace(&placeholder, &text);
        }
    }
    filled
}
