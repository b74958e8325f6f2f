//! `ctx.cookies()`: the cookie store of `cookies()` from next/headers. It
//! reads the request's cookies and records cookies to set or delete on the
//! response, which the engine appends as `Set-Cookie` headers.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use actix_web::http::header::HeaderValue;
use cookie::time::OffsetDateTime;
use cookie::Cookie;

use crate::api::error::{Error, Result};
use crate::api::request::RequestCookies;

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

    /// Sets a cookie with attributes. Refused with an error, and never sent:
    /// a name that is not an HTTP token, a value with control characters
    /// (CR, LF), a path or domain with `;` or control characters, a
    /// `__Secure-` name without `secure`, and a `__Host-` name without
    /// `secure`, with a path other than `/` or with a domain.
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
    /// let evil_path = CookieOptions {
    ///     path: Some("/; Domain=evil.example".into()),
    ///     ..CookieOptions::default()
    /// };
    /// assert!(cookies.set_with("ok", "1", evil_path).is_err());
    /// assert!(cookies.set("__Host-id", "1").is_err(), "not Secure");
    /// ```
    pub fn set_with(&self, name: &str, value: &str, options: CookieOptions) -> Result<()> {
        check(name, value)?;
        check_options(name, &options)?;
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
        // Browsers ignore a prefixed cookie without Secure, its deletion too.
        let secure = has_prefix(name, HOST_PREFIX) || has_prefix(name, SECURE_PREFIX);
        let cookie = Cookie::build((name.to_string(), ""))
            .path("/")
            .secure(secure)
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
        return Err(refused(format!("invalid cookie name {name:?}")));
    }
    if value.chars().any(char::is_control) {
        return Err(refused(format!(
            "invalid value for cookie `{name}`: control characters"
        )));
    }
    Ok(())
}

/// A name so prefixed is sent only with Secure, Path=/ and no Domain.
const HOST_PREFIX: &str = "__Host-";
/// A name so prefixed is sent only with Secure.
const SECURE_PREFIX: &str = "__Secure-";

/// The path and domain go into the header as they are: a `;` would add
/// attributes of the caller's (or a visitor's) choosing, a CR or LF a
/// header. The prefixes promise what browsers enforce by dropping the
/// cookie: refused here with the reason, rather than lost without a word.
fn check_options(name: &str, options: &CookieOptions) -> Result<()> {
    for (attribute, value) in [("path", &options.path), ("domain", &options.domain)] {
        let breaks_header = value
            .as_deref()
            .is_some_and(|value| value.chars().any(|c| c == ';' || c.is_control()));
        if breaks_header {
            return Err(refused(format!(
                "invalid {attribute} for cookie `{name}`: `;` or control characters"
            )));
        }
    }
    // `Partitioned` is always sent with `Secure`.
    let secure = options.secure || options.partitioned;
    if has_prefix(name, HOST_PREFIX) {
        let problem = if !secure {
            Some("needs `secure: true`")
        } else if options.path.as_deref().is_some_and(|path| path != "/") {
            Some("needs the path `/`")
        } else if options.domain.is_some() {
            Some("allows no domain")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(refused(format!(
                "cookie `{name}`: the `{HOST_PREFIX}` prefix {problem}"
            )));
        }
    } else if has_prefix(name, SECURE_PREFIX) && !secure {
        return Err(refused(format!(
            "cookie `{name}`: the `{SECURE_PREFIX}` prefix needs `secure: true`"
        )));
    }
    Ok(())
}

/// Browsers match the prefixes in any case (`__host-` too).
fn has_prefix(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// A cookie the route asked for that cannot be sent: a 500, as any bug in
/// a route function, with the reason in the log.
fn refused(reason: String) -> Error {
    Error::Internal(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, options: CookieOptions) -> std::result::Result<(), String> {
        CookieStore::default()
            .set_with(name, "1", options)
            .map_err(|e| format!("{e:?}"))
    }

    fn secure() -> CookieOptions {
        CookieOptions {
            secure: true,
            ..CookieOptions::default()
        }
    }

    #[test]
    fn a_path_or_domain_that_would_add_attributes_or_headers_is_refused() {
        for bad in [
            "/; Domain=evil.example",
            "/\r\nSet-Cookie: a=1",
            "/\n",
            "/\0",
            "/\x7f",
        ] {
            let path = CookieOptions {
                path: Some(bad.into()),
                ..CookieOptions::default()
            };
            let err = set("a", path).unwrap_err();
            assert!(
                err.contains("invalid path for cookie `a`"),
                "{bad:?}: {err}"
            );
            let domain = CookieOptions {
                domain: Some(format!("example.com{bad}")),
                ..CookieOptions::default()
            };
            let err = set("a", domain).unwrap_err();
            assert!(
                err.contains("invalid domain for cookie `a`"),
                "{bad:?}: {err}"
            );
        }
        let fine = CookieOptions {
            path: Some("/app".into()),
            domain: Some("example.com".into()),
            ..CookieOptions::default()
        };
        assert_eq!(set("a", fine), Ok(()));
    }

    #[test]
    fn the_host_prefix_needs_secure_the_root_path_and_no_domain() {
        assert_eq!(set("__Host-id", secure()), Ok(()));
        let root = CookieOptions {
            path: Some("/".into()),
            ..secure()
        };
        assert_eq!(set("__Host-id", root), Ok(()));
        let err = set("__Host-id", CookieOptions::default()).unwrap_err();
        assert!(
            err.contains("`__Host-` prefix needs `secure: true`"),
            "{err}"
        );
        let err = set("__host-id", CookieOptions::default()).unwrap_err();
        assert!(err.contains("needs `secure: true`"), "any case: {err}");
        let app = CookieOptions {
            path: Some("/app".into()),
            ..secure()
        };
        let err = set("__Host-id", app).unwrap_err();
        assert!(err.contains("needs the path `/`"), "{err}");
        let domain = CookieOptions {
            domain: Some("example.com".into()),
            ..secure()
        };
        let err = set("__Host-id", domain).unwrap_err();
        assert!(err.contains("allows no domain"), "{err}");
    }

    #[test]
    fn the_secure_prefix_needs_secure() {
        let err = set("__Secure-id", CookieOptions::default()).unwrap_err();
        assert!(
            err.contains("`__Secure-` prefix needs `secure: true`"),
            "{err}"
        );
        assert_eq!(set("__Secure-id", secure()), Ok(()));
        let partitioned = CookieOptions {
            partitioned: true,
            ..CookieOptions::default()
        };
        assert_eq!(set("__Secure-id", partitioned), Ok(()), "sent with Secure");
    }

    #[test]
    fn a_prefixed_cookie_is_deleted_with_secure() {
        let cookies = CookieStore::default();
        cookies.delete("__Host-id").unwrap();
        cookies.delete("plain").unwrap();
        let headers: Vec<String> = cookies
            .set_cookie_headers()
            .iter()
            .map(|h| h.to_str().unwrap().to_string())
            .collect();
        assert!(headers[0].contains("; Secure"), "{}", headers[0]);
        assert!(!headers[1].contains("Secure"), "{}", headers[1]);
    }
}
