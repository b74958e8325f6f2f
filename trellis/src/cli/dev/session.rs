//! One `trellis dev` run: the socket, the watcher, and the loop that builds
//! and replaces the server.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{build, server, watch, DevArgs};
use crate::Config;

/// What a server is started with, besides the socket.
struct ServeFlags(Vec<String>);

impl ServeFlags {
    fn new(args: &DevArgs, config_file: Option<&Path>) -> Self {
        let mut flags = Vec::new();
        if let Some(workers) = args.workers {
            flags.extend(["--workers".to_string(), workers.to_string()]);
        }
        if let Some(file) = config_file {
            flags.extend(["--config".to_string(), file.display().to_string()]);
        }
        ServeFlags(flags)
    }
}

/// Binds, watches, and rebuilds and restarts on every change, until the
/// watcher stops or the process is stopped.
pub fn run(args: DevArgs, config: &Config, config_file: Option<&Path>) -> ExitCode {
    let crate_dir = match app_crate() {
        Ok(dir) => dir,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let host = args
        .host
        .clone()
        .unwrap_or_else(|| config.server.host.clone());
    let port = args.port.unwrap_or(config.server.port);
    let listener = match TcpListener::bind((host.as_str(), port)) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on {host}:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let changes = match watch::Changes::start(&crate_dir) {
        Ok(changes) => changes,
        Err(error) => {
            eprintln!("error: cannot watch {}: {error}", crate_dir.display());
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(address) => println!(
            "trellis dev: http://{address}, rebuilt and restarted on every change under app/ or src/"
        ),
        Err(error) => eprintln!("trellis dev: the socket has no address: {error}"),
    }
    let flags = ServeFlags::new(&args, config_file);
    let mut serving: Option<server::ServerProcess> = None;
    // A config file changed since the running server started.
    let mut config_changed = false;
    loop {
        let running = serving
            .as_mut()
            .is_some_and(server::ServerProcess::is_running);
        match build::cargo_build(&crate_dir, args.bin.as_deref()) {
            // The same binary and the same config: the server runs it already.
            Ok(built) if built.fresh && running && !config_changed => {}
            Ok(built) => {
                match server::ServerProcess::start(&built.executable, &listener, &flags.0) {
                    Ok(next) => {
                        if let Some(previous) = serving.replace(next) {
                            previous.stop();
                        }
                        config_changed = false;
                        println!("trellis dev: serving the new build");
                    }
                    Err(error) => eprintln!(
                        "trellis dev: the new build did not start: {error}; {}",
                        still(running)
                    ),
                }
            }
            Err(failure) => eprintln!("trellis dev: {failure}; {}", still(running)),
        }
        match changes.next() {
            Some(change) => config_changed |= change.config,
            None => {
                eprintln!("error: the file watcher stopped");
                return ExitCode::FAILURE;
            }
        }
    }
}

/// What is served while the new build is not.
fn still(running: bool) -> &'static str {
    match running {
        true => "still serving the last good build",
        false => "nothing is served until a build succeeds",
    }
}

/// The working folder, if it holds the crate to run.
fn app_crate() -> Result<PathBuf, String> {
    let dir = std::env::current_dir()
        .map_err(|error| format!("cannot read the working folder: {error}"))?;
    match dir.join("Cargo.toml").is_file() {
        true => Ok(dir),
        false => Err(format!(
            "{} has no Cargo.toml: run trellis dev in the folder of the app's Cargo.toml",
            dir.display()
        )),
    }
}
