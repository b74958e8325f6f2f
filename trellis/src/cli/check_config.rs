//! `trellis check-config`: loads the config as `serve` would and checks it
//! against the app's routes, without serving.

use std::path::Path;
use std::process::ExitCode;

use crate::{Config, Router, DEFAULT_FILE};

pub fn run(router: Router, config: &Config, file: Option<&Path>) -> ExitCode {
    let shown = file.map_or_else(|| DEFAULT_FILE.to_string(), |f| f.display().to_string());
    match router.summary(config) {
        Ok(routes) => {
            println!("ok: {shown} ({} routes)", routes.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {shown}: {error}");
            ExitCode::FAILURE
        }
    }
}
