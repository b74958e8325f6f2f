//! The scope a route function's run gives the code it calls, as Next.js's
//! `fetch` finds its request's store: while an answer is made for the
//! cache (or a `DYNAMIC = Error` route runs), `trellis::fetch` and
//! `trellis::cache::memo` find here what they must report about the data
//! they use: the entry's record (tags, periods), and the watcher of
//! request data (a fetch that is never cached is live data, as a cookie
//! read is).
//!
//! It is a task-local, set for each poll of the run's future and for
//! nothing else: no cost for runs that need none, and work spawned apart
//! from the run (`trellis::spawn`) is outside it, as `after()` work is
//! outside a cache scope in Next.js.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::Either;

use crate::api::dynamic_reads::{DynamicReads, Read};
use crate::api::entry_record::EntryRecord;

tokio::task_local! {
    static SCOPE: RunScope;
}

/// What one run reports to. Cloning it is two reference counts.
#[derive(Clone, Default)]
pub(crate) struct RunScope {
    pub(crate) reads: Option<Arc<DynamicReads>>,
    pub(crate) entry: Option<Arc<EntryRecord>>,
}

impl RunScope {
    /// `None` when the run has nothing to report to.
    pub(crate) fn of(
        reads: Option<&Arc<DynamicReads>>,
        entry: Option<&Arc<EntryRecord>>,
    ) -> Option<RunScope> {
        (reads.is_some() || entry.is_some()).then(|| RunScope {
            reads: reads.cloned(),
            entry: entry.cloned(),
        })
    }

    /// Runs `f` (the call that makes the run's future, its first poll)
    /// inside `scope`.
    pub(crate) fn enter<R>(scope: Option<&RunScope>, f: impl FnOnce() -> R) -> R {
        match scope {
            Some(scope) => SCOPE.sync_scope(scope.clone(), f),
            None => f(),
        }
    }

    /// `future`, each of its polls inside `scope`.
    pub(crate) fn around<F: Future>(
        scope: Option<RunScope>,
        future: F,
    ) -> impl Future<Output = F::Output> {
        match scope {
            Some(scope) => Either::Left(SCOPE.scope(scope, future)),
            None => Either::Right(future),
        }
    }
}

/// A fetch or memo in the current run used data with this period and
/// these tags: the entry being made carries the tags and is fresh no
/// longer than the data.
pub(crate) fn used_data(period: Option<Duration>, tags: &[String]) {
    let _ = SCOPE.try_with(|scope| {
        if let Some(entry) = &scope.entry {
            entry.data(period, tags);
        }
    });
}

/// A fetch in the current run that is never cached (`no-store`,
/// `revalidate(0)`): like a read of request data, it makes an `auto`
/// route dynamic and is refused in a `DYNAMIC = Error` route.
pub(crate) fn used_live_data() {
    let _ = SCOPE.try_with(|scope| {
        if let Some(reads) = &scope.reads {
            reads.note(Read::NoStoreFetch);
        }
    });
}

/// The route and path of the entry the current run makes, if it makes one.
pub(crate) fn entry_made() -> Option<(Arc<str>, String)> {
    SCOPE
        .try_with(|scope| {
            scope
                .entry
                .as_ref()
                .map(|entry| (entry.route.clone(), entry.path.clone()))
        })
        .ok()
        .flatten()
}
