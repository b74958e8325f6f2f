//! The `trellis` command: serves the demo app, prints its route table.

mod bench;
mod cli;

/// The demo app: the route files under `app/`, discovered by build.rs.
mod app {
    trellis::include_app!();
}

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::Cli::parse().run(app::router)
}
