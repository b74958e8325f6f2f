//! The data cache served on each HTTP worker, for `trellis::fetch` and
//! `trellis::cache::memo`: a fresh value is answered at once; a stale one
//! while one refresh runs in the background (or, when an entry is being
//! made for the cache from it, made again first, so that no entry is made
//! of old data); a missing or expired one is made once for every caller
//! waiting (one that waits past the lock timeout makes its own); a failure
//! (no answer, a 5xx) with a value at hand keeps that value
//! (stale-if-error), and background refreshes back off.
//!
//! A fresh value is taken from the worker's own recent values
//! (`RecentData`) when nothing has changed, and answered without a future
//! of its own: a hit costs a key, a map lookup and a copy of the value.

use std::cell::RefCell;
use std::sync::Arc;

#[cfg(feature = "redis")]
use trellis_cache::PeerRefresh;
use trellis_cache::{
    fetch_key, key_for_logs, memo_key, page_tag, path_tag, CacheEntry, CachedResponse, DataCache,
    DataFill, DataFilled, DataSpec, DataWaited, Lookup, RecentData,
};

use crate::api::data_cache::{self, DataKey, DataRequest, DataValue, LocalFuture, Produce};
use crate::runtime::site::Site;

/// One worker's handle on its server's data cache.
pub(crate) struct WorkerDataCache {
    cache: Arc<DataCache>,
    site: Arc<Site>,
    /// The fresh values this worker served a moment ago. A `RefCell`: the
    /// worker is one thread, and the borrow lasts one lookup, never an
    /// `.await`.
    recent: RefCell<RecentData>,
}

impl WorkerDataCache {
    pub(crate) fn new(cache: Arc<DataCache>, site: Arc<Site>) -> Self {
        WorkerDataCache {
            cache,
            site,
            recent: RefCell::default(),
        }
    }
}

impl data_cache::DataCache for WorkerDataCache {
    fn cached(
        &self,
        request: DataRequest,
        produce: Produce,
    ) -> LocalFuture<Result<DataValue, String>> {
        let key = key_of(&request.key);
        let found = self.recent.borrow_mut().lookup(&self.cache, &key);
        if let Lookup::Fresh(entry) = &found {
            return Box::pin(std::future::ready(Ok(value_of(&entry.response))));
        }
        Box::pin(serve(self.cache.clone(), key, found, request, produce))
    }

    fn own_url(&self) -> Arc<str> {
        self.site.own_url()
    }
}

fn key_of(key: &DataKey) -> String {
    match key {
        DataKey::Fetch(fetch) => {
            let method = fetch.method.as_str();
            fetch_key(method, &fetch.url, &fetch.headers, &fetch.body)
        }
        DataKey::Memo { function, parts } => memo_key(function, parts),
    }
}

/// The value of `key`, whose lookup (`found`) was not a fresh hit: stale,
/// invalidated or missing.
async fn serve(
    cache: Arc<DataCache>,
    key: String,
    found: Lookup,
    request: DataRequest,
    produce: Produce,
) -> Result<DataValue, String> {
    let making_entry = request.entry.is_some();
    let spec = spec_of(request);
    match found {
        Lookup::Fresh(entry) => Ok(value_of(&entry.response)),
        Lookup::Stale(entry) if !making_entry => {
            start_refresh(&cache, &key, spec, produce);
            Ok(value_of(&entry.response))
        }
        Lookup::Stale(entry) | Lookup::Invalidated(entry) => {
            fill(&cache, &key, &spec, &produce, Some(entry)).await
        }
        Lookup::Miss => fill(&cache, &key, &spec, &produce, None).await,
    }
}

/// The value's period and tags: its own, and, when it is used to make an
/// entry, the tags of that entry's route and path (and the path itself, for
/// Redis), so that `revalidate_path` makes it again with the entry.
fn spec_of(request: DataRequest) -> DataSpec {
    let mut tags = request.tags;
    let path = request.entry.map(|(route, path)| {
        tags.push(page_tag(&route));
        tags.push(path_tag(&path));
        path
    });
    DataSpec {
        revalidate: request.revalidate,
        tags,
        path,
    }
}

/// Makes the value for every caller waiting, or waits for the caller
/// making it. `previous`, a stale or expired value, is the fallback when
/// making it fails.
async fn fill(
    cache: &Arc<DataCache>,
    key: &str,
    spec: &DataSpec,
    produce: &Produce,
    previous: Option<Arc<CacheEntry>>,
) -> Result<DataValue, String> {
    let fallback = |reason: String| match &previous {
        Some(entry) => {
            tracing::warn!(
                key = key_for_logs(key),
                reason,
                "making a value failed; serving the last good one"
            );
            Ok(value_of(&entry.response))
        }
        None => Err(reason),
    };
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    let mut guard = loop {
        match cache.fill(key) {
            DataFill::Ready(entry) => return Ok(value_of(&entry.response)),
            DataFill::Wait(waiter) => match waiter.wait().await {
                DataWaited::Filled(DataFilled::Value(value)) => return Ok(value_of(&value)),
                DataWaited::Filled(DataFilled::Failed(reason)) => {
                    return fallback(reason.to_string())
                }
                // Its maker gave up without a value: make it in its place.
                DataWaited::Abandoned => continue,
                // Its maker is slow: make one for this caller, unstored.
                DataWaited::TimedOut => {
                    return produce().await.or_else(fallback);
                }
            },
            DataFill::Lead(guard) => break guard,
        }
    };
    // Another instance sharing the cache may have made it, or be making it.
    #[cfg(feature = "redis")]
    if let Some(entry) = guard.from_peers().await {
        guard.share(&entry);
        return Ok(value_of(&entry.response));
    }
    match produce().await {
        Ok(value) if value.status.is_server_error() && previous.is_some() => {
            let reason = format!("the upstream answered {}", value.status);
            guard.fail(&reason);
            fallback(reason)
        }
        Ok(value) => {
            guard.complete(cached_of(value.clone()), spec);
            Ok(value)
        }
        Err(reason) => {
            guard.fail(&reason);
            fallback(reason)
        }
    }
}

/// Starts the one background refresh of a stale value, unless one runs or
/// the key is backing off; on this worker, as a memo's function stays on
/// the thread that called it.
fn start_refresh(cache: &Arc<DataCache>, key: &str, spec: DataSpec, produce: Produce) {
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    let Some(mut guard) = cache.refresh(key) else {
        return;
    };
    actix_rt::spawn(async move {
        // Another instance may have refreshed it, or be refreshing it.
        #[cfg(feature = "redis")]
        if guard.from_peers().await != PeerRefresh::Regenerate {
            return;
        }
        match produce().await {
            Ok(value) => guard.complete(cached_of(value), &spec),
            Err(reason) => guard.fail(&reason),
        }
    });
}

fn value_of(response: &CachedResponse) -> DataValue {
    DataValue {
        status: response.status,
        headers: response.headers.clone(),
        body: response.body.clone(),
    }
}

fn cached_of(value: DataValue) -> CachedResponse {
    CachedResponse {
        status: value.status,
        headers: value.headers,
        body: value.body,
    }
}
