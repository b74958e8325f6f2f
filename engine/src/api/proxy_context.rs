//! `ProxyContext`: the second argument of the proxy function. It holds the
//! path as the matcher read it, the request's cookie store (cookies it sets
//! go on the response, whatever answers) and the typed values the proxy
//! hands to the route.

use std::cell::RefCell;
use std::rc::Rc;

use crate::api::cookies::CookieStore;
use crate::api::extensions::Extensions;

/// What the proxy can do beyond deciding: read the path as routes see it,
/// read and set cookies, and hand typed values to the route.
///
/// ```no_run
/// use trellis_engine::{Proxy, ProxyContext, Request, Result};
///
/// struct Session { user: String }
///
/// async fn proxy(_req: Request, ctx: ProxyContext) -> Result<Proxy> {
///     if !ctx.path().starts_with("/admin") {
///         return Ok(Proxy::next());
///     }
///     let Some(user) = ctx.cookies().get("session") else {
///         return Ok(Proxy::redirect("/login"));
///     };
///     ctx.insert(Session { user });
///     Ok(Proxy::next())
/// }
/// ```
pub struct ProxyContext {
    path: Rc<str>,
    cookies: CookieStore,
    /// Shared with the engine's copy, which gives them to the route.
    extensions: Rc<RefCell<Extensions>>,
}

impl ProxyContext {
    pub(crate) fn new(path: &str, cookies: CookieStore) -> Self {
        ProxyContext {
            path: Rc::from(path),
            cookies,
            extensions: Rc::default(),
        }
    }

    /// A second handle on the same cookies and values: the engine keeps
    /// one while the proxy function owns the other.
    pub(crate) fn share(&self) -> ProxyContext {
        ProxyContext {
            path: self.path.clone(),
            cookies: self.cookies.clone(),
            extensions: self.extensions.clone(),
        }
    }

    /// The path as the matcher and the route table read it: percent-decoded
    /// (but `%2F` and `%25`, which keep a segment whole), without the base
    /// path or a trailing slash. Decide on this, not on the raw
    /// `req.next_url().pathname()`: `/%61dmin` is `/admin` here, as it is
    /// to the routes.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request's cookies; those set or deleted here go on the
    /// response, whatever answers it.
    pub fn cookies(&self) -> &CookieStore {
        &self.cookies
    }

    /// Hands `value` to the route: `ctx.extension::<T>()` there gives it
    /// back. A later value of the same type replaces it.
    pub fn insert<T: Send + 'static>(&self, value: T) {
        self.extensions.borrow_mut().insert(value);
    }

    /// The values inserted, taken for the route.
    pub(crate) fn take_extensions(&self) -> Extensions {
        std::mem::take(&mut *self.extensions.borrow_mut())
    }
}
