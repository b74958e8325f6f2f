//! `trellis::cache::memo`: Next.js's `unstable_cache` for route functions.
//! Any result that serializes (serde) of an async computation is cached
//! under its key parts and the computing function, with a period and tags,
//! in the data cache (memory and, with the `redis` feature, Redis alike),
//! computed once however many callers ask at once.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use actix_web::http::StatusCode;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use trellis_config::tag_problem;

use crate::api::data_cache::{self, DataKey, DataRequest, DataValue, Produce};
use crate::api::error::{Error, Result};
use crate::api::run_scope;

/// How a memo is cached: `unstable_cache`'s `{ revalidate, tags }`.
///
/// ```
/// use trellis_engine::cache::MemoOptions;
///
/// let options = MemoOptions::new().revalidate(60).tags(["memo"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoOptions {
    revalidate: Option<u64>,
    tags: Vec<String>,
}

impl MemoOptions {
    /// Cached until revalidated by tag.
    pub fn new() -> Self {
        MemoOptions::default()
    }

    /// Fresh for `seconds`, then served stale while one recomputation runs.
    pub fn revalidate(mut self, seconds: u64) -> Self {
        self.revalidate = Some(seconds);
        self
    }

    /// `tags`: `revalidate_tag` reaches the result, and the entry of the
    /// route that used it.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }
}

/// The result of `compute`, cached under `key_parts` (and the function
/// itself, as `unstable_cache` keys by its text): computed on a miss, once
/// for every caller waiting; served stale past its period while one
/// recomputation runs; kept when a recomputation fails. A period of 0
/// computes every time. An error of `compute` is the caller's error; those
/// waiting on the same computation get a 500.
///
/// ```no_run
/// # async fn demo(n: i64) -> trellis_engine::Result<()> {
/// use trellis_engine::cache::{memo, MemoOptions};
///
/// let square: i64 = memo(("square", n), MemoOptions::new().revalidate(60), move || async move {
///     Ok(n * n)
/// })
/// .await?;
/// # Ok(()) }
/// ```
pub async fn memo<K, T, F, Fut>(key_parts: K, options: MemoOptions, compute: F) -> Result<T>
where
    K: Serialize,
    T: Serialize + DeserializeOwned + 'static,
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<T>> + 'static,
{
    let revalidate = options.revalidate.map(Duration::from_secs);
    let cache = data_cache::installed().filter(|_| revalidate != Some(Duration::ZERO));
    let Some(cache) = cache else {
        return compute().await;
    };
    let parts = serde_json::to_string(&key_parts)?;
    let tags: Vec<String> = options
        .tags
        .into_iter()
        .filter(|tag| match tag_problem(tag) {
            Some(problem) => {
                tracing::warn!(tag = %tag, problem, "memo: tag left out");
                false
            }
            None => true,
        })
        .collect();
    run_scope::used_data(revalidate, &tags);
    // The caller's own error, kept whole (a 404 stays a 404); the cache
    // hands those waiting with it only its text.
    let own_error: Rc<RefCell<Option<Error>>> = Rc::default();
    let kept = own_error.clone();
    let compute = Rc::new(compute);
    let produce: Produce = Rc::new(move || {
        let compute = compute.clone();
        let kept = kept.clone();
        Box::pin(async move {
            match compute().await {
                Ok(value) => serde_json::to_vec(&value)
                    .map(|body| DataValue {
                        status: StatusCode::OK,
                        headers: Vec::new(),
                        body: Bytes::from(body),
                    })
                    .map_err(|error| format!("the result does not serialize: {error}")),
                Err(error) => {
                    let reason = format!("{error:?}");
                    *kept.borrow_mut() = Some(error);
                    Err(reason)
                }
            }
        })
    });
    let request = DataRequest {
        key: DataKey::Memo {
            function: std::any::type_name::<F>(),
            parts,
        },
        revalidate,
        tags,
        entry: run_scope::entry_made(),
    };
    match cache.cached(request, produce).await {
        Ok(value) => Ok(serde_json::from_slice(&value.body)?),
        Err(reason) => Err(own_error
            .borrow_mut()
            .take()
            .unwrap_or_else(|| Error::Internal(format!("memo: {reason}").into()))),
    }
}
