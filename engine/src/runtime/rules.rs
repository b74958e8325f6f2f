//! Path rules from `trellis.toml`, as next.config.js `redirects()` and
//! `headers()` give them: redirects answered before the proxy and any
//! route, headers added to every response whose request matches, whatever
//! answered it (404s too). Both may have `has` and `missing` conditions.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use trellis_config::{ConfigError, HeaderRule, RedirectRule};

use crate::api::response::Response;
use crate::runtime::destination::Destination;
use crate::runtime::request_view::RequestView;
use crate::runtime::rule_source::{rule_error, RuleSource};

/// The compiled rules; empty (and free) when the file has none.
#[derive(Default)]
pub(crate) struct PathRules {
    redirects: Vec<Redirect>,
    headers: Vec<Headers>,
}

struct Redirect {
    source: RuleSource,
    destination: Destination,
    status: StatusCode,
}

struct Headers {
    source: RuleSource,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// The header rules a request met, by index: found before the request's
/// headers move on to the route, applied to whatever answers.
#[derive(Default)]
pub(crate) struct MatchedHeaders(Vec<usize>);

impl PathRules {
    /// Compiles the rules, reading `${NAME}` in destinations through `env`.
    pub(crate) fn compile(
        redirects: &[RedirectRule],
        headers: &[HeaderRule],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut rules = PathRules::default();
        for rule in redirects {
            let source = RuleSource::compile(
                "redirects",
                rule.line,
                &rule.source,
                &rule.has,
                &rule.missing,
            )?;
            let destination = Destination::parse(&rule.destination, env)
                .map_err(|problem| rule_error("redirects.destination", rule.line, &problem))?;
            source.check_destination(&destination, "redirects", rule.line)?;
            if !destination.is_external() && source.loops_through(&destination) {
                return Err(rule_error(
                    "redirects.destination",
                    rule.line,
                    "redirects to a path its own source matches: every answer would redirect again",
                ));
            }
            let status = rule
                .status()
                .map_err(|problem| rule_error("redirects", rule.line, &problem))?;
            let status = StatusCode::from_u16(status)
                .expect("RedirectRule::status is a redirect status: this is a bug in Trellis");
            rules.redirects.push(Redirect {
                source,
                destination,
                status,
            });
        }
        for rule in headers {
            let source =
                RuleSource::compile("headers", rule.line, &rule.source, &rule.has, &rule.missing)?;
            rules.headers.push(Headers {
                source,
                headers: checked_headers(&rule.headers, rule.line)?,
            });
        }
        Ok(rules)
    }

    /// The literal text each rule's matching paths start with.
    pub(crate) fn literal_prefixes(&self) -> impl Iterator<Item = &str> {
        let redirects = self.redirects.iter().map(|r| r.source.literal_prefix());
        redirects.chain(self.headers.iter().map(|h| h.source.literal_prefix()))
    }

    /// The redirect for the request, if a rule has one. `base_path` goes
    /// before a path of this app; `public_url` gives `${self}`.
    pub(crate) fn redirect(
        &self,
        request: &RequestView,
        base_path: &str,
        public_url: &dyn Fn() -> Arc<str>,
    ) -> Option<Response> {
        self.redirects.iter().find_map(|rule| {
            let params = rule.source.params(request)?;
            let answer =
                match rule
                    .destination
                    .location(&params, request.query, base_path, public_url)
                {
                    Ok(location) => Response::to_location(rule.status, &location),
                    Err(_) => None,
                };
            Some(answer.unwrap_or_else(|| {
                Response::json_error(StatusCode::BAD_REQUEST, "invalid characters in path")
            }))
        })
    }

    /// The header rules the request meets.
    pub(crate) fn headers_for(&self, request: &RequestView) -> MatchedHeaders {
        MatchedHeaders(
            self.headers
                .iter()
                .enumerate()
                .filter(|(_, rule)| rule.source.applies(request))
                .map(|(i, _)| i)
                .collect(),
        )
    }

    /// Adds the headers of the rules met, later rules winning.
    pub(crate) fn add_headers(&self, matched: &MatchedHeaders, response: &mut Response) {
        for &i in &matched.0 {
            for (name, value) in &self.headers[i].headers {
                response.headers_mut().insert(name.clone(), value.clone());
            }
        }
    }
}

/// Header names and values from the file, checked once at start-up.
pub(crate) fn checked_headers(
    headers: &BTreeMap<String, String>,
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
