//! Command-line parsing; each subcommand lives in its own file.

mod revalidate;
mod routes;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use trellis::Router;

pub use serve::ServeArgs;

/// Next.js-style Route Handlers, served by actix actors.
#[derive(Debug, Parser)]
#[command(name = "trellis", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand, `trellis` serves: these are `serve`'s options.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app (the default).
    Serve(ServeArgs),
    /// Print the route table, as `next build` prints its routes.
    Routes,
    /// Revalidate a path or a tag on a running server.
    Revalidate(revalidate::RevalidateArgs),
}

impl Cli {
    /// Runs the chosen subcommand on the app `router` builds.
    pub fn run(self, router: fn() -> Router) -> ExitCode {
        match self.command.unwrap_or(Command::Serve(self.serve)) {
            Command::Serve(args) => serve::run(args, router()),
            Command::Routes => routes::run(router()),
            Command::Revalidate(args) => revalidate::run(args),
        }
    }
}
