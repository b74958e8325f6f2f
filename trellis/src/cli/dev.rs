//! `trellis dev`: serves the app in the working folder, and on every change
//! under `app/` or `src/` (or to `trellis.toml`, `Cargo.toml`, `build.rs`)
//! rebuilds it with cargo and replaces the server, on one port that never
//! refuses a connection.
//!
//! `trellis dev` binds the port itself and hands the listening socket to
//! each server it starts (`serve --listen-fd`). A new server accepts on it
//! beside the old one; once it says it serves, the old one gets SIGTERM and
//! finishes what it was answering. Connections that arrive meanwhile wait
//! in the socket's queue, which stays open throughout. A build that fails
//! is printed once, as cargo renders it, and the old server keeps serving.
//!
//! - `session`: one run: the socket, the watcher, the loop.
//! - `watch`: the changes that matter, an editor's burst of events as one.
//! - `build`: `cargo build`, and the binary it made.
//! - `server`: a server process on the socket, started and stopped.

#[cfg(unix)]
mod build;
#[cfg(unix)]
mod server;
#[cfg(unix)]
mod session;
#[cfg(unix)]
mod watch;

use clap::Args;

#[cfg(unix)]
pub use session::run;

/// The port and workers as `serve` takes them; the config file and the
/// `TRELLIS_*` variables are read as `serve` reads them.
#[derive(Debug, Clone, Args)]
pub struct DevArgs {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on; 0 picks a free one [default: 3000].
    #[arg(long)]
    port: Option<u16>,
    /// HTTP worker threads of the server; 0 means one per core.
    #[arg(long)]
    workers: Option<usize>,
    /// The binary to run, when the crate has several.
    #[arg(long)]
    bin: Option<String>,
}

#[cfg(not(unix))]
pub fn run(
    _args: DevArgs,
    _config: &crate::Config,
    _config_file: Option<&std::path::Path>,
) -> std::process::ExitCode {
    eprintln!("error: trellis dev hands its socket to each server it starts, which needs Unix");
    std::process::ExitCode::FAILURE
}
