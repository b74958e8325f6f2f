//! `Server`: binds, starts the HTTP workers with their segment actors, and
//! serves until stopped; on SIGTERM it drains: not ready, then no new
//! connections, then the requests in flight and the `after()` callbacks
//! pending, within the grace period.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Actor;
use actix_web::dev::fn_service;
use actix_web::dev::ServerHandle;
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer};
use futures_util::future::Either;
use trellis_cache::Clock;
use trellis_config::Config;

use crate::api::router::Router;
use crate::runtime::admin::EngineEndpoints;
use crate::runtime::after_tasks::AfterTracker;
use crate::runtime::app_routes::AppRoutes;
#[cfg(feature = "redis")]
use crate::runtime::messages::PeerRevalidation;
use crate::runtime::readiness::Readiness;
use crate::runtime::server_error::ServerError;
use crate::runtime::shutdown;
use crate::runtime::supervisor::Supervisor;
use crate::runtime::worker::serve;
use crate::runtime::worker_state::WorkerState;

/// A bound server, not yet serving.
///
/// ```no_run
/// use trellis_engine::{Config, Router, Server};
///
/// #[actix_web::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let server = Server::build(Config::load(None)?, Router::new())?;
///     println!("listening on http://{}", server.local_addr());
///     server.run_until_stopped().await?;
///     Ok(())
/// }
/// ```
pub struct Server {
    http: actix_web::dev::Server,
    local_addr: SocketAddr,
    readiness: Arc<Readiness>,
    after: Arc<AfterTracker>,
    drain_delay: Duration,
    grace: Duration,
}

impl Server {
    /// Builds the routes and binds the listener (port 0 picks a free one).
    /// Must be called inside an actix system, which runs the actors.
    pub fn build(config: Config, router: Router) -> Result<Server, ServerError> {
        Server::build_with_clock(config, router, Clock::System)
    }

    /// Like [`build`](Self::build), with the clock the cache reads: a
    /// [`Clock::manual`] lets tests move past `revalidate` without sleeping.
    pub fn build_with_clock(
        config: Config,
        router: Router,
        clock: Clock,
    ) -> Result<Server, ServerError> {
        Server::start(config, router, clock, None)
    }

    /// Like [`build`](Self::build), on a listener bound already (the
    /// config's host and port are not used): `trellis dev` binds once and
    /// hands the socket to each server it starts, so connections wait in
    /// its queue, never refused, while one server replaces another.
    pub fn build_on(
        config: Config,
        router: Router,
        listener: TcpListener,
    ) -> Result<Server, ServerError> {
        Server::start(config, router, Clock::System, Some(listener))
    }

    fn start(
        config: Config,
        router: Router,
        clock: Clock,
        listener: Option<TcpListener>,
    ) -> Result<Server, ServerError> {
        #[cfg(not(feature = "otel"))]
        if config.telemetry.otlp_endpoint.is_some() {
            return Err(trellis_config::ConfigError::Invalid {
                key: "telemetry.otlp_endpoint".to_string(),
                problem: "this build of Trellis exports no spans: build it with the `otel` \
                          feature, or remove the key"
                    .to_string(),
            }
            .into());
        }
        let routes = Arc::new(AppRoutes::build(router, &config, clock)?);
        let site = routes.site.clone();
        let readiness = Arc::new(Readiness::default());
        let supervisor =
            Supervisor::new(routes.clone(), config.cache.tick(), readiness.clone()).start();
        #[cfg(feature = "redis")]
        if let Some(shared) = routes.cache.shared() {
            let supervisor = supervisor.clone();
            shared.subscribe(move |event| supervisor.do_send(PeerRevalidation(event)));
        }
        let endpoints = Arc::new(EngineEndpoints::new(&config, &routes, readiness.clone()));
        let limits = config.limits.clone();
        let after = routes.services.after.clone();
        let mut http = HttpServer::new(move || {
            let worker = Rc::new(WorkerState {
                segments: Supervisor::start_worker(&supervisor, &routes),
                recent_hits: RefCell::default(),
                routes: routes.clone(),
                supervisor: supervisor.clone(),
                metrics: endpoints.request_metrics().map(|metrics| metrics.worker()),
                endpoints: endpoints.clone(),
                limits: limits.clone(),
            });
            App::new().default_service(fn_service(move |req| serve(req, worker.clone())))
        })
        // SIGTERM and Ctrl-C are `run_until_stopped`'s, which drains first.
        .disable_signals()
        // A client that closes its end is gone: the route it waits on is
        // dropped rather than run for nobody (`req.signal()` resolves).
        .h1_allow_half_closed(false)
        .keep_alive(
            config
                .server
                .keep_alive()
                .map_or(KeepAlive::Disabled, KeepAlive::Timeout),
        )
        .client_request_timeout(config.server.client_request_timeout())
        .client_disconnect_timeout(config.server.client_disconnect_timeout())
        .shutdown_timeout(config.server.shutdown_grace_secs)
        .max_connections(config.server.max_connections);
        if config.server.workers > 0 {
            http = http.workers(config.server.workers);
        }
        let (address, http) = match listener {
            Some(listener) => {
                let address = listener
                    .local_addr()
                    .map_or_else(|_| "an inherited socket".to_string(), |a| a.to_string());
                let http = http.listen(listener);
                (address, http)
            }
            None => {
                let address = format!("{}:{}", config.server.host, config.server.port);
                let http = http.bind(&address);
                (address, http)
            }
        };
        let http = http.map_err(|error| Server::bind_error(&address, error))?;
        let local_addr = *http
            .addrs()
            .first()
            .ok_or_else(|| Server::bind_error(&address, io::ErrorKind::AddrNotAvailable.into()))?;
        site.bound(local_addr);
        Ok(Server {
            http: http.run(),
            local_addr,
            readiness,
            after,
            drain_delay: config.server.drain_delay(),
            grace: config.server.shutdown_grace(),
        })
    }

    fn bind_error(address: &str, error: io::Error) -> ServerError {
        ServerError::Bind {
            address: address.to_string(),
            error,
        }
    }

    /// The address the listener is bound to, with the port the OS chose.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to stop the server from elsewhere.
    pub fn handle(&self) -> ServerHandle {
        self.http.handle()
    }

    /// Serves until the server is stopped: by its handle, at once, or by
    /// SIGTERM or Ctrl-C, which drain it as [`run_until`](Self::run_until)
    /// says.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.run_until(shutdown::requested()).await
    }

    /// Serves until `drain` resolves (or the handle stops it, at once),
    /// then drains: `/_trellis/ready` answers 503 from that moment, the
    /// server goes on serving for `server.drain_delay_ms` so that load
    /// balancers stop sending, then stops accepting, lets the requests in
    /// flight finish, and waits for the `after()` callbacks pending; all
    /// of it within `server.shutdown_grace_secs` after the delay. How
    /// many callbacks were dropped, if any, is logged.
    pub async fn run_until(self, drain: impl Future<Output = ()>) -> io::Result<()> {
        let Server {
            mut http,
            readiness,
            after,
            drain_delay,
            grace,
            ..
        } = self;
        let handle = http.handle();
        let drain = std::pin::pin!(drain);
        if let Either::Left((served, _)) = futures_util::future::select(&mut http, drain).await {
            return served;
        }
        readiness.drain();
        tracing::info!(delay = ?drain_delay, "draining: /_trellis/ready answers 503");
        let delay = std::pin::pin!(actix_rt::time::sleep(drain_delay));
        if let Either::Left((served, _)) = futures_util::future::select(&mut http, delay).await {
            return served;
        }
        let started = Instant::now();
        // Callbacks run on the workers, and stopping the workers drops
        // them: so new connections are refused first, and the callbacks
        // pending are waited for while the workers still run; only then are
        // the requests in flight finished and the workers stopped.
        // The server takes its commands as it is polled: poll it meanwhile.
        let waited = async {
            handle.pause().await;
            after.drain(grace).await
        };
        let pending = after.pending();
        let mut dropped =
            match futures_util::future::select(&mut http, std::pin::pin!(waited)).await {
                Either::Left((served, _)) => return served,
                Either::Right((dropped, _)) => dropped,
            };
        let (_, served) = futures_util::future::join(handle.stop(true), &mut http).await;
        if dropped == 0 {
            dropped = after.drain(grace.saturating_sub(started.elapsed())).await;
        }
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "the grace period ended with after() callbacks still running: dropped"
            );
        } else if pending > 0 {
            tracing::info!(finished = pending, "every after() callback finished");
        }
        served
    }
}
