//! `trellis serve`: installs logging (and, built with `otel`, the span
//! export `[telemetry]` asks for), builds the server and serves until
//! SIGTERM or Ctrl-C, then drains requests in flight and exits 0.

use std::process::ExitCode;

use clap::Args;

use super::inherited;
use crate::{Config, Router, Server};

/// Flags win over `TRELLIS_*` variables, which win over the file.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on; 0 picks a free one [default: 3000].
    #[arg(long)]
    port: Option<u16>,
    /// HTTP worker threads; 0 means one per core [default: 0].
    #[arg(long)]
    workers: Option<usize>,
    /// Serve on this inherited listening socket instead of binding one:
    /// how `trellis dev` hands its socket to each server it starts.
    #[arg(long, hide = true, value_name = "FD")]
    listen_fd: Option<i32>,
    /// Once serving, write the URL to this inherited descriptor and close
    /// it: the sign `trellis dev` waits for before stopping the old server.
    #[arg(long, hide = true, value_name = "FD")]
    ready_fd: Option<i32>,
}

pub fn run(args: ServeArgs, mut config: Config, router: Router) -> ExitCode {
    #[cfg(not(feature = "otel"))]
    crate::init_logging();
    // Started before the runtime and dropped after it: its client blocks.
    #[cfg(feature = "otel")]
    let _telemetry = match crate::logging::init_logging_with_telemetry(&config.telemetry) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(host) = args.host {
        config.server.host = host;
    }
    if let Some(port) = args.port {
        config.server.port = port;
    }
    if let Some(workers) = args.workers {
        config.server.workers = workers;
    }
    let listener = match args.listen_fd.map(inherited::listener).transpose() {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!("--listen-fd: {error}");
            return ExitCode::FAILURE;
        }
    };
    let ready_fd = args.ready_fd;
    let served = actix_rt::System::new().block_on(async move {
        let server = match listener {
            Some(listener) => Server::build_on(config, router, listener)?,
            None => Server::build(config, router)?,
        };
        tracing::info!("Trellis listening on http://{}", server.local_addr());
        if let Some(fd) = ready_fd {
            inherited::signal_ready(fd, server.local_addr())
                .map_err(|error| format!("--ready-fd: {error}"))?;
        }
        server.run_until_stopped().await?;
        tracing::info!("Trellis stopped");
        Ok::<_, Box<dyn std::error::Error>>(())
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}
