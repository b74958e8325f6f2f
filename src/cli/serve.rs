//! `trellis serve`: installs logging, builds the server and serves.

use std::process::ExitCode;

use clap::Args;
use tracing_subscriber::EnvFilter;
use trellis::{Router, Server, ServerConfig};

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TRELLIS_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "TRELLIS_PORT", default_value_t = 3000)]
    port: u16,
    /// HTTP worker threads; 0 means one per core.
    #[arg(long, env = "TRELLIS_WORKERS", default_value_t = 0)]
    workers: usize,
}

pub fn run(args: ServeArgs, router: Router) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = ServerConfig {
        host: args.host,
        port: args.port,
        workers: args.workers,
        ..ServerConfig::default()
    };
    let served = actix_rt::System::new().block_on(async move {
        let server = Server::build(config, router)?;
        tracing::info!("Trellis listening on http://{}", server.local_addr());
        server.run_until_stopped().await?;
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
