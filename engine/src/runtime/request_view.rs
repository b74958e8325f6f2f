//! `RequestView`: what path rules and the proxy's matcher look at, the
//! path as they match it and the headers, query and cookies their `has`
//! and `missing` conditions read, each parsed once and only if asked.

use std::borrow::Cow;
use std::cell::OnceCell;

use actix_web::http::header::{self, HeaderMap};

use crate::api::header_lookup;
use crate::api::request::{RequestCookies, SearchParams};

pub(crate) struct RequestView<'r> {
    /// The app's path as `percent::decode_path` gives it: no base path, no
    /// trailing slash, escapes decoded but `%2F` and `%25`.
    pub path: Cow<'r, str>,
    pub headers: &'r HeaderMap,
    pub query: Option<&'r str>,
    cookies: OnceCell<RequestCookies>,
    search: OnceCell<SearchParams>,
}

impl<'r> RequestView<'r> {
    pub(crate) fn new(path: Cow<'r, str>, headers: &'r HeaderMap, query: Option<&'r str>) -> Self {
        RequestView {
            path,
            headers,
            query,
            cookies: OnceCell::new(),
            search: OnceCell::new(),
        }
    }

    /// A header's first value, as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header_lookup::first_value(self.headers, name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .get_or_init(|| {
                RequestCookies::from_header_values(self.headers.get_all(header::COOKIE))
            })
            .get(name)
    }

    /// A query key's last value, as next.config.js reads a repeated key.
    pub(crate) fn query_value(&self, key: &str) -> Option<&str> {
        self.search
            .get_or_init(|| SearchParams::parse(self.query.unwrap_or("")))
            .get_all(key)
            .pop()
    }

    /// The host name from `Host`, lower case, without the port.
    pub(crate) fn host(&self) -> Option<String> {
        let host = self.header(header::HOST.as_str())?;
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(name, _)| name),
        };
        Some(name.to_ascii_lowercase())
    }
}
