//! `ctx.cookies()`: the cookie store of `cookies()` from next/headers. It
//! reads the request's cookies and records cookies to set or delete on the
//! response, which the engine appends as `Set-Cookie` headers.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use actix_web::http::header::HeaderValue;
use cookie::time::OffsetDateTime;
use cookie::Cookie;

use crate::error::{Error, Result};
use crate::request::RequestCookies;

/// `SameSite` of a cookie set on the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

/// The attributes of a cookie set with [`CookieStore::set_with`]. `path`
/// defaults to `/`, as in Next.js.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieOptions {
    pub path: Option<String>,
    pub domain: Option<String>,
    pub max_age: Option<Duration>,
    pub expires: Option<SystemTime>,
    pub http_only: bool,
    pub secure: bool,
    pub same_site: Option<SameSite>,
    pub partitioned: bool,
}

/// The request's cookies, and the ones this response sets or deletes.
/// Reading after a `set` sees the new value, as in Next.js.
///
/// Cloning shares the store: the engine keeps a clone to read what the
/// route function set. A store belongs to one request, which is served on
/// one thread, so it is not `Send`, and its reads and writes cost no
/// atomic operation.
#[derive(Debug, Clone, Default)]
pub struct CookieStore {
    state: Rc<RefCell<CookieState>>,
}

#[derive(Debug, Default)]
struct CookieState {
    /// The request's `Cookie` headers, parsed on first use.
    raw: Vec<HeaderValue>,
    request: Option<RequestCookies>,
    /// Cookies to send, in the order set; a later one for a name wins.
    outgoing: Vec<Outgoing>,
}

#[derive(Debug)]
struct Outgoing {
    name: String,
    /// `None` for a deletion.
    value: Option<String>,
    header: String,
}

impl CookieStore {
    pub(crate) fn new(raw: Vec<HeaderValue>) -> Self {
        CookieStore {
            state: Rc::new(RefCell::new(CookieState {
                raw,
                ..CookieState::default()
            })),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut CookieState) -> T) -> T {
        // Never re-entered: `f` is always one of this file's closures.
        f(&mut self.state.borrow_mut())
    }

    /// The value of `name`: set on this response, or else sent by the client.
    pub fn get(&self, name: &str) -> Option<String> {
        self.with_state(
            |state| match state.outgoing.iter().rev().find(|o| o.name == name) {
                Some(outgoing) => outgoing.value.clone(),
                None => state.request().get(name).map(str::to_string),
            },
        )
    }

    /// Every cookie, as `getAll()` lists them.
    pub fn get_all(&self) -> Vec<(String, String)> {
        self.with_state(|state| {
            let mut all: Vec<(String, String)> = state
                .request()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            for outgoing in &state.outgoing {
                all.retain(|(n, _)| *n != outgoing.name);
                if let Some(value) = &outgoing.value {
                    all.push((outgoing.name.clone(), value.clone()));
                }
            }
            all
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name=value; Path=/` on the response.
    pub fn set(&self, name: &str, value: &str) -> Result<()> {
        self.set_with(name, value, CookieOptions::default())
    }

    /// Sets a cookie with attributes. A name that is not an HTTP token, or a
    /// value with control characters (CR, LF), is an error and never sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// use trellis_engine::{CookieOptions, CookieStore, SameSite};
    ///
    /// let cookies = CookieStore::default();
    /// cookies.set_with("session", "abc", CookieOptions {
    ///     http_only: true,
    ///     secure: true,
    ///     same_site: Some(SameSite::Lax),
    ///     max_age: Some(Duration::from_secs(3600)),
    ///     ..CookieOptions::default()
    /// }).unwrap();
    /// assert_eq!(cookies.get("session").as_deref(), Some("abc"));
    /// assert!(cookies.set("bad;name", "x").is_err());
    /// assert!(cookies.set("ok", "a\r\nSet-Cookie: evil=1").is_err());
    /// ```
    pub fn set_with(&self, name: &str, value: &str, options: CookieOptions) -> Result<()> {
        check(name, value)?;
        let mut cookie = Cookie::build((name.to_string(), value.to_string()))
            .path(options.path.unwrap_or_else(|| "/".to_string()))
            .http_only(options.http_only)
            .secure(options.secure)
            .partitioned(options.partitioned)
            .build();
        if let Some(domain) = options.domain {
            cookie.set_domain(domain);
        }
        if let Some(max_age) = options.max_age {
            let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
            cookie.set_max_age(cookie::time::Duration::seconds(seconds));
        }
        if let Some(expires) = options.expires {
            cookie.set_expires(OffsetDateTime::from(expires));
        }
        if let Some(same_site) = options.same_site {
            cookie.set_same_site(match same_site {
                SameSite::Strict => cookie::SameSite::Strict,
                SameSite::Lax => cookie::SameSite::Lax,
                SameSite::None => cookie::SameSite::None,
            });
        }
        self.push(name, Some(value), cookie.encoded().to_string());
        Ok(())
    }

    /// Deletes `name`: sends it empty and expired, as Next.js does
    /// (`c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT`).
    pub fn delete(&self, name: &str) -> Result<()> {
        check(name, "")?;
        let cookie = Cookie::build((name.to_string(), ""))
            .path("/")
            .expires(OffsetDateTime::UNIX_EPOCH)
            .build();
        self.push(name, None, cookie.encoded().to_string());
        Ok(())
    }

    fn push(&self, name: &str, value: Option<&str>, header: String) {
        self.with_state(|state| {
            state.outgoing.retain(|o| o.name != name);
            state.outgoing.push(Outgoing {
                name: name.to_string(),
                value: value.map(str::to_string),
                header,
            });
        });
    }

    /// The `Set-Cookie` values to send, one per cookie name.
    pub(crate) fn set_cookie_headers(&self) -> Vec<HeaderValue> {
        self.with_state(|state| {
            state
                .outgoing
                .iter()
                .filter_map(|o| HeaderValue::from_str(&o.header).ok())
                .collect()
        })
    }
}

impl CookieState {
    fn request(&mut self) -> &RequestCookies {
        let raw = &self.raw;
        self.request
            .get_or_insert_with(|| RequestCookies::from_header_values(raw))
    }
}

/// RFC 6265: a name is an HTTP token; a value has no control characters
/// (the rest is percent-encoded when sent).
fn check(name: &str, value: &str) -> Result<()> {
    let separators = "()<>@,;:\\\"/[]?={} \t";
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_graphic() && !separators.contains(c));
    if !name_ok {
        return Err(Error::Internal(
            format!("invalid cookie name {name:?}").into(),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::Internal(
            format!("invalid value for cookie `{name}`: control characters").into(),
        ));
    }
    Ok(())
}
