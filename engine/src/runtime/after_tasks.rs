//! Running `after()` callbacks: on the worker that served the request,
//! once its response has been sent (actix took the body's last bytes, or
//! dropped it), within what is left of the route's `MAX_DURATION`, each
//! panic caught. Every callback is counted from when it is scheduled until
//! it ends, so that graceful shutdown can wait for the ones pending.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_rt::time::Instant;
use futures_util::FutureExt;
use tokio::sync::{oneshot, Notify};

use crate::api::after::AfterTask;
use crate::api::request_error::RequestError;
use crate::runtime::panics;

/// The server's `after()` callbacks: how many are pending, how many ran,
/// panicked or were cut at `MAX_DURATION`.
#[derive(Debug, Default)]
pub(crate) struct AfterTracker {
    pending: AtomicUsize,
    /// Woken when `pending` falls to zero.
    idle: Notify,
    finished: AtomicU64,
    panics: AtomicU64,
    timeouts: AtomicU64,
}

/// The time callbacks may take: what is left of the route's
/// `MAX_DURATION` when they start (`deadline`), which was `limit`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub deadline: Instant,
    pub limit: Duration,
}

impl AfterTracker {
    /// Runs `tasks` once `sent` fires or is dropped, within `budget`;
    /// `report` hears of each failure.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        tasks: Vec<AfterTask>,
        sent: oneshot::Receiver<()>,
        budget: Option<Budget>,
        report: impl Fn(&RequestError<'_>) + 'static,
    ) {
        let count = tasks.len();
        self.pending.fetch_add(count, Ordering::SeqCst);
        let tracker = self.clone();
        actix_rt::spawn(async move {
            // Sent, or dropped unsent (the client went away): run either way.
            let _ = sent.await;
            let all = futures_util::future::join_all(
                tasks
                    .into_iter()
                    .map(|task| AssertUnwindSafe(task).catch_unwind()),
            );
            let outcomes = match budget {
                Some(budget) => tokio::time::timeout_at(budget.deadline, all).await.ok(),
                None => Some(all.await),
            };
            match (outcomes, budget) {
                (Some(outcomes), _) => {
                    for panic in outcomes.into_iter().filter_map(Result::err) {
                        let message = panics::message(&*panic);
                        tracker.panics.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(panic = message, "an after() callback panicked");
                        report(&RequestError::Panic(message));
                    }
                }
                (None, Some(budget)) => {
                    tracker.timeouts.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(limit = ?budget.limit, "after() callbacks ran past maxDuration and were dropped");
                    report(&RequestError::TimedOut(budget.limit));
                }
                (None, None) => {}
            }
            tracker.finish(count);
        });
    }

    fn finish(&self, count: usize) {
        self.finished.fetch_add(count as u64, Ordering::Relaxed);
        if self.pending.fetch_sub(count, Ordering::SeqCst) == count {
            self.idle.notify_waiters();
        }
    }

    pub(crate) fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Waits until no callback is pending, for `grace` at most; the number
    /// still pending then (dropped when the process ends).
    pub(crate) async fn drain(&self, grace: Duration) -> usize {
        let deadline = Instant::now() + grace;
        loop {
            let idle = self.idle.notified();
            let mut idle = std::pin::pin!(idle);
            idle.as_mut().enable();
            let pending = self.pending();
            if pending == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.pending();
            }
        }
    }

    /// The counters, in Prometheus text.
    pub(crate) fn render(&self, out: &mut String) {
        let series = [
            (
                "trellis_after_callbacks_total",
                "counter",
                "after() callbacks that ended (finished, panicked or cut).",
                self.finished.load(Ordering::Relaxed),
            ),
            (
                "trellis_after_panics_total",
                "counter",
                "after() callbacks that panicked.",
                self.panics.load(Ordering::Relaxed),
            ),
            (
                "trellis_after_timeouts_total",
                "counter",
                "Requests whose after() callbacks ran past maxDuration.",
                self.timeouts.load(Ordering::Relaxed),
            ),
            (
                "trellis_after_pending",
                "gauge",
                "after() callbacks scheduled and not yet ended.",
                self.pending() as u64,
            ),
        ];
        for (name, kind, help, value) in series {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        }
    }
}
