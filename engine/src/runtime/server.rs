//! `Server`: binds, starts the HTTP workers with their segment actors, and
//! serves until stopped.

use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;
use std::sync::Arc;

use actix::Actor;
use actix_web::dev::fn_service;
use actix_web::dev::ServerHandle;
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer};
use trellis_cache::Clock;
use trellis_config::Config;

use crate::api::router::Router;
use crate::runtime::admin::EngineEndpoints;
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::messages::PeerRevalidation;
use crate::runtime::server_error::ServerError;
use crate::runtime::supervisor::Supervisor;
use crate::runtime::worker::{serve, WorkerState};

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
        let routes = Arc::new(AppRoutes::build(router, &config, clock)?);
        let site = routes.site.clone();
        let supervisor = Supervisor::new(routes.clone(), config.cache.tick()).start();
        if let Some(shared) = routes.cache.shared() {
            let supervisor = supervisor.clone();
            shared.subscribe(move |event| supervisor.do_send(PeerRevalidation(event)));
        }
        let endpoints = Arc::new(EngineEndpoints::new(&config));
        let limits = config.limits.clone();
        let mut http = HttpServer::new(move || {
            let worker = Rc::new(WorkerState {
                segments: Supervisor::start_worker(&supervisor, &routes),
                recent_hits: RefCell::default(),
                routes: routes.clone(),
                supervisor: supervisor.clone(),
                endpoints: endpoints.clone(),
                limits: limits.clone(),
            });
            App::new().default_service(fn_service(move |req| serve(req, worker.clone())))
        })
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

    /// Serves until the server is stopped: by its handle, or by SIGTERM or
    /// Ctrl-C, after which it stops accepting and lets requests in flight
    /// finish for up to `server.shutdown_grace_secs`.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.http.await
    }
}
