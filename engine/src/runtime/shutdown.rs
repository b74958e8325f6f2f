//! What stops a server from outside: SIGTERM, which orchestrators send, or
//! Ctrl-C (SIGINT). Either starts the same graceful drain; actix's own
//! handling (SIGINT forced, SIGTERM without the drain) is switched off.

/// Resolves on the first SIGTERM or Ctrl-C.
pub(crate) async fn requested() {
    let interrupt = std::pin::pin!(async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    });
    let terminate = std::pin::pin!(terminate());
    futures_util::future::select(interrupt, terminate).await;
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut sigterm) => {
            sigterm.recv().await;
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}
