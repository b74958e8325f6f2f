//! The dynamic parameters a matched path fills in.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// One parameter's value: a single segment for `[id]`, a list for catch-alls.
///
/// Serializes as Next.js shows it: a string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    One(String),
    Many(Vec<String>),
}

impl ParamValue {
    /// The value of a `[name]` segment; `None` for catch-alls.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::One(s) => Some(s),
            ParamValue::Many(_) => None,
        }
    }

    /// The segments of a catch-all; a single segment as a one-item slice.
    pub fn as_slice(&self) -> &[String] {
        match self {
            ParamValue::One(s) => std::slice::from_ref(s),
            ParamValue::Many(v) => v,
        }
    }
}

/// The parameters of one match, in pattern order. Empty (and unallocated)
/// for static routes.
///
/// ```
/// use trellis_routes::{Params, ParamValue};
///
/// let params = Params::from_pairs([("team", "1")]);
/// assert_eq!(params.get("team").and_then(ParamValue::as_str), Some("1"));
/// assert!(params.get("other").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(Arc<str>, ParamValue)>,
}

impl Params {
    /// Builds params by hand, as `generate_static_params` lists them.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Params {
            entries: pairs
                .into_iter()
                .map(|(name, value)| (Arc::from(name), ParamValue::One(value.to_owned())))
                .collect(),
        }
    }

    /// The value of parameter `name`, if the path gave it one.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.entries
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.entries.iter().map(|(n, v)| (&**n, v))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `name`, replacing a value it had: what a rule's conditions
    /// capture beside the path's params.
    pub fn insert(&mut self, name: &str, value: ParamValue) {
        match self.entries.iter_mut().find(|(n, _)| &**n == name) {
            Some((_, existing)) => *existing = value,
            None => self.entries.push((Arc::from(name), value)),
        }
    }

    pub(crate) fn push(&mut self, name: Arc<str>, value: ParamValue) {
        self.entries.push((name, value));
    }

    pub(crate) fn pop(&mut self) {
        self.entries.pop();
    }
}

impl Serialize for Params {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (name, value) in &self.entries {
            map.serialize_entry(&**name, value)?;
        }
        map.end()
    }
}
