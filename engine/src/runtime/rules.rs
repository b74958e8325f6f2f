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
/// headers move on to the route, applied to whatever answers. A bit each
/// for the first 64 rules, so that most requests allocate nothing for it;
/// the indices of any after them.
#[derive(Default)]
pub(crate) struct MatchedHeaders {
    first: u64,
    rest: Vec<usize>,
}

impl MatchedHeaders {
    fn insert(&mut self, index: usize) {
        match index < 64 {
            true => self.first |= 1 << index,
            false => self.rest.push(index),
        }
    }

    /// The indices, in increasing order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let mut bits = self.first;
        let first = std::iter::from_fn(move || {
            let index = (bits != 0).then(|| bits.trailing_zeros() as usize)?;
            bits &= bits - 1;
            Some(index)
        });
        first.chain(self.rest.iter().copied())
    }
}

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
        let mut matched = MatchedHeaders::default();
        for (i, rule) in self.headers.iter().enumerate() {
            if rule.source.applies(request) {
                matched.insert(i);
            }
        }
        matched
    }

    /// Adds the headers of the rules met, later rules winning.
    pub(crate) fn add_headers(&self, matched: &MatchedHeaders, response: &mut Response) {
        for i in matched.iter() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_rules_come_back_in_order_past_the_first_64_too() {
        let mut matched = MatchedHeaders::default();
        for index in [0, 3, 63, 64, 70] {
            matched.insert(index);
        }
        assert_eq!(matched.iter().collect::<Vec<_>>(), [0, 3, 63, 64, 70]);
        assert_eq!(MatchedHeaders::default().iter().count(), 0);
    }
}
