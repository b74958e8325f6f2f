//! Command-line parsing; each subcommand lives in its own file.

mod check_config;
mod revalidate;
mod routes;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use trellis::{Config, Router};

pub use serve::ServeArgs;

/// Next.js-style Route Handlers, served by actix actors.
#[derive(Debug, Parser)]
#[command(name = "trellis", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The config file; without it, `trellis.toml` in the working folder is
    /// read if there is one. `TRELLIS_*` variables override it.
    #[arg(long, global = true, env = "TRELLIS_CONFIG")]
    config: Option<PathBuf>,
    /// With no subcommand, `trellis` serves: these are `serve`'s options.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app (the default).
    Serve(ServeArgs),
    /// Print the route table with each route's effective config, as
    /// `next build` prints its routes.
    Routes,
    /// Check the config file against the app; exit non-zero on any error.
    CheckConfig,
    /// Revalidate a path or a tag on a running server.
    Revalidate(revalidate::RevalidateArgs),
}

impl Cli {
    /// Runs the chosen subcommand on the app `router` builds.
    pub fn run(self, router: fn() -> Router) -> ExitCode {
        let command = self.command.unwrap_or(Command::Serve(self.serve));
        if let Command::Revalidate(args) = command {
            return revalidate::run(args);
        }
        let config = match Config::load(self.config.as_deref()) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
        match command {
            Command::Serve(args) => serve::run(args, config, router()),
            Command::Routes => routes::run(router(), &config),
            Command::CheckConfig => check_config::run(router(), &config, self.config.as_deref()),
            Command::Revalidate(_) => ExitCode::SUCCESS,
        }
    }
}
