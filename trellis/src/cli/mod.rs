//! Command-line parsing; each subcommand lives in its own file.

mod check_config;
mod dev;
mod inherited;
mod new;
mod revalidate;
mod routes;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{Config, Router};

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
    /// Load a URL or a scenario and report throughput, latency, statuses and
    /// cache hits; `trellis bench compare a.json b.json` compares two runs.
    // Boxed: its many flags would make every other command as large.
    Bench(Box<crate::bench::BenchArgs>),
    /// Serve the app in the working folder, rebuilt and restarted on every
    /// change, on one port that never refuses a connection.
    Dev(dev::DevArgs),
    /// Write a new app into a new folder.
    New(new::NewArgs),
    /// Write a new app into an existing folder, beside what is there.
    Init(new::InitArgs),
}

impl Cli {
    /// Runs the chosen subcommand on the app `router` builds.
    pub fn run(self, router: fn() -> Router) -> ExitCode {
        let file = self.config;
        match self.command.unwrap_or(Command::Serve(self.serve)) {
            Command::Revalidate(args) => revalidate::run(args, file.as_deref()),
            Command::Bench(args) => crate::bench::run(*args),
            Command::New(args) => new::run_new(args),
            Command::Init(args) => new::run_init(args),
            Command::Serve(args) => {
                with_config(file.as_deref(), |config| serve::run(args, config, router()))
            }
            Command::Routes => {
                with_config(file.as_deref(), |config| routes::run(router(), &config))
            }
            Command::CheckConfig => with_config(file.as_deref(), |config| {
                check_config::run(router(), &config, file.as_deref())
            }),
            Command::Dev(args) => with_config(file.as_deref(), |config| {
                dev::run(args, &config, file.as_deref())
            }),
        }
    }
}

/// Loads the config (file, then environment) and hands it to `command`.
fn with_config(file: Option<&Path>, command: impl FnOnce(Config) -> ExitCode) -> ExitCode {
    match Config::load(file) {
        Ok(config) => command(config),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
