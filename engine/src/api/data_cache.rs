//! The data cache as route functions reach it: a trait the runtime
//! implements over the shared store (this wing knows neither), found
//! through the HTTP worker thread the code runs on. Each worker installs
//! its server's when it starts, so `trellis::fetch` and `memo` find it
//! wherever a route's code runs on that worker: in the route function, in
//! a stream it spawned, in work after the response. Elsewhere (a test's
//! own thread, a program's `main`) none is installed, and a fetch goes
//! straight upstream.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use bytes::Bytes;

/// A value as the data cache keeps it: a fetch's answer, or a memo's
/// result (JSON, status 200).
#[derive(Debug, Clone)]
pub(crate) struct DataValue {
    pub(crate) status: StatusCode,
    /// In the order received, as the cache keeps them: a hit copies the
    /// list, and a `HeaderMap` is made only if the route asks for one.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

/// A fetch as it goes upstream: what keys it, and its timeout. Shared by
/// its key and the making of its value, so a hit copies none of it.
#[derive(Debug)]
pub(crate) struct FetchRequest {
    pub(crate) method: Method,
    /// As given: one starting with `/` is this server.
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) timeout: Duration,
}

/// What a value is keyed by.
#[derive(Debug, Clone)]
pub(crate) enum DataKey {
    /// A fetch: its method, its URL as given, the headers it sends, its body.
    Fetch(Rc<FetchRequest>),
    /// A memo: the function computing it, and its key parts as JSON.
    Memo {
        function: &'static str,
        parts: String,
    },
}

/// One value asked for, and how it is cached.
#[derive(Debug, Clone)]
pub(crate) struct DataRequest {
    pub(crate) key: DataKey,
    /// Fresh for this long; until revalidated when `None`.
    pub(crate) revalidate: Option<Duration>,
    pub(crate) tags: Vec<String>,
    /// The route and path of the entry being made with the value, if one
    /// is: the value then carries their tags, and a stale value is made
    /// again before it is used, so that no entry is made of old data.
    pub(crate) entry: Option<(Arc<str>, String)>,
}

/// A future that stays on the worker that runs it.
pub(crate) type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Makes the value: called for a miss and for every refresh. `Err` is a
/// failure (no answer at all), which a stale value outlives.
pub(crate) type Produce = Rc<dyn Fn() -> LocalFuture<Result<DataValue, String>>>;

/// The data cache of the server whose worker runs the code.
pub(crate) trait DataCache {
    /// The value for `request`: fresh from the cache, stale while one
    /// refresh runs, or made by `produce` once for every caller waiting.
    fn cached(
        &self,
        request: DataRequest,
        produce: Produce,
    ) -> LocalFuture<Result<DataValue, String>>;

    /// Where this server reaches itself (`http://127.0.0.1:3000`): a
    /// relative URL given to `trellis::fetch` is resolved against it.
    fn own_url(&self) -> Arc<str>;
}

thread_local! {
    static INSTALLED: RefCell<Option<Rc<dyn DataCache>>> = const { RefCell::new(None) };
}

/// Makes `cache` the one route code on this thread uses.
pub(crate) fn install(cache: Rc<dyn DataCache>) {
    INSTALLED.with(|installed| *installed.borrow_mut() = Some(cache));
}

/// The data cache of this thread's server, if it has one.
pub(crate) fn installed() -> Option<Rc<dyn DataCache>> {
    INSTALLED.with(|installed| installed.borrow().clone())
}
