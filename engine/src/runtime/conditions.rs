//! `has` and `missing`: the conditions on a request that a path rule or a
//! proxy matcher entry adds to its path, as next.config.js reads them. A
//! `value` is a regex the whole value must match (`^(?:value)$`); its
//! named groups, or the key itself when there is no value, are params a
//! destination can use.

use fancy_regex::Regex;
use trellis_config::{Condition, ConditionKind};
use trellis_routes::{ParamValue, Params};

use crate::runtime::request_view::RequestView;

/// Compiled `has` and `missing` lists; empty (and free) for most rules.
#[derive(Default)]
pub(crate) struct Conditions {
    has: Vec<Check>,
    missing: Vec<Check>,
}

struct Check {
    kind: ConditionKind,
    /// The key, lower case for a header.
    key: String,
    value: Option<Regex>,
    /// The param a `has` entry without a value gives: the key, letters and
    /// digits only.
    param: Option<String>,
}

impl Conditions {
    /// Compiles the lists; `Err` says which entry is wrong and why.
    pub(crate) fn compile(has: &[Condition], missing: &[Condition]) -> Result<Self, String> {
        let checks = |list: &[Condition], word: &str| {
            list.iter()
                .enumerate()
                .map(|(i, c)| {
                    Check::compile(c).map_err(|e| format!("`{word}` entry {}: {e}", i + 1))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Conditions {
            has: checks(has, "has")?,
            missing: checks(missing, "missing")?,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.has.is_empty() && self.missing.is_empty()
    }

    /// The params `has` entries give, for checking a destination.
    pub(crate) fn param_names(&self) -> Vec<String> {
        self.has
            .iter()
            .flat_map(|check| {
                let named = check
                    .value
                    .iter()
                    .flat_map(|regex| regex.capture_names().flatten().map(str::to_string));
                check.param.clone().into_iter().chain(named)
            })
            .collect()
    }

    /// Whether the request has every `has` and none of the `missing`.
    pub(crate) fn allow(&self, request: &RequestView) -> bool {
        self.has.iter().all(|check| check.test(request, None))
            && !self.missing.iter().any(|check| check.test(request, None))
    }

    /// Like [`allow`](Self::allow), adding what the `has` entries capture
    /// to `params`.
    pub(crate) fn allow_capturing(&self, request: &RequestView, params: &mut Params) -> bool {
        self.has
            .iter()
            .all(|check| check.test(request, Some(params)))
            && !self.missing.iter().any(|check| check.test(request, None))
    }
}

impl Check {
    fn compile(condition: &Condition) -> Result<Check, String> {
        let key = match (condition.kind, &condition.key) {
            (ConditionKind::Host, None) => String::new(),
            (ConditionKind::Host, Some(_)) => {
                return Err("a `host` condition has no `key`: give its `value`".to_string())
            }
            (_, Some(key)) if !key.is_empty() => key.clone(),
            (_, _) => return Err("needs a `key`".to_string()),
        };
        if condition.kind == ConditionKind::Host && condition.value.is_none() {
            return Err("a `host` condition needs a `value`".to_string());
        }
        let key = match condition.kind {
            ConditionKind::Header => key.to_ascii_lowercase(),
            _ => key,
        };
        let value = condition
            .value
            .as_deref()
            .map(|value| {
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| format!("`{value}` is not a valid regex: {e}"))
            })
            .transpose()?;
        let param: String = key.chars().filter(char::is_ascii_alphanumeric).collect();
        let param = (value.is_none() && !param.is_empty()).then_some(param);
        Ok(Check {
            kind: condition.kind,
            key,
            value,
            param,
        })
    }

    fn test(&self, request: &RequestView, params: Option<&mut Params>) -> bool {
        let host;
        let found = match self.kind {
            ConditionKind::Header => request.header(&self.key),
            ConditionKind::Cookie => request.cookie(&self.key),
            ConditionKind::Query => request.query_value(&self.key),
            ConditionKind::Host => {
                host = request.host();
                host.as_deref()
            }
        };
        let Some(found) = found else {
            return false;
        };
        let Some(regex) = &self.value else {
            if let (Some(params), Some(name)) = (params, &self.param) {
                params.insert(name, ParamValue::One(found.to_string()));
            }
            return true;
        };
        // A regex that gives up within its step limit is no match.
        let Ok(Some(captures)) = regex.captures(found) else {
            return false;
        };
        if let Some(params) = params {
            for name in regex.capture_names().flatten() {
                if let Some(value) = captures.name(name) {
                    params.insert(name, ParamValue::One(value.as_str().to_string()));
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;

    fn condition(kind: ConditionKind, key: Option<&str>, value: Option<&str>) -> Condition {
        Condition {
            kind,
            key: key.map(str::to_string),
            value: value.map(str::to_string),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn every_has_and_no_missing_must_hold() {
        let sent = headers(&[("x-a", "1"), ("cookie", "session=ada; theme=dark")]);
        let view = RequestView::new(Cow::Borrowed("/"), &sent, Some("ref=x&ref=y"));
        let conditions = Conditions::compile(
            &[
                condition(ConditionKind::Header, Some("X-A"), None),
                condition(ConditionKind::Query, Some("ref"), Some("y")),
            ],
            &[condition(ConditionKind::Cookie, Some("banned"), None)],
        )
        .unwrap();
        assert!(
            conditions.allow(&view),
            "the last value of a repeated query key"
        );
        let banned = Conditions::compile(
            &[],
            &[condition(ConditionKind::Cookie, Some("session"), None)],
        )
        .unwrap();
        assert!(!banned.allow(&view));
    }

    #[test]
    fn values_capture_named_groups_and_keys_without_values_capture_themselves() {
        let sent = headers(&[("host", "Shop.Example:8080"), ("x-user-id", "42")]);
        let view = RequestView::new(Cow::Borrowed("/"), &sent, None);
        let conditions = Conditions::compile(
            &[
                condition(
                    ConditionKind::Host,
                    None,
                    Some("(?<store>[a-z]+)\\.example"),
                ),
                condition(ConditionKind::Header, Some("x-user-id"), None),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(conditions.param_names(), ["store", "xuserid"]);
        let mut params = Params::default();
        assert!(conditions.allow_capturing(&view, &mut params));
        assert_eq!(
            params.get("store").and_then(ParamValue::as_str),
            Some("shop")
        );
        assert_eq!(
            params.get("xuserid").and_then(ParamValue::as_str),
            Some("42")
        );
        let partial = Conditions::compile(
            &[condition(
                ConditionKind::Header,
                Some("x-user-id"),
                Some("4"),
            )],
            &[],
        )
        .unwrap();
        assert!(!partial.allow(&view), "the whole value must match");
    }

    #[test]
    fn what_cannot_work_is_refused() {
        let cases = [
            condition(ConditionKind::Header, None, None),
            condition(ConditionKind::Host, Some("x"), Some("a")),
            condition(ConditionKind::Host, None, None),
            condition(ConditionKind::Query, Some("q"), Some("(")),
        ];
        for case in cases {
            assert!(
                Conditions::compile(std::slice::from_ref(&case), &[]).is_err(),
                "{case:?}"
            );
        }
    }
}
