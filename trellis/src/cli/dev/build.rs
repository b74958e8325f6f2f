//! `cargo build` of the app: cargo prints its progress and any error on
//! stderr, rendered as it renders them, once; the JSON messages it writes
//! on stdout name the binary it made.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A binary cargo made (or found up to date).
pub struct Built {
    pub executable: PathBuf,
    /// Up to date already: the build changed nothing.
    pub fresh: bool,
}

/// Builds the crate in `dir` and names its binary: `bin`, or the only one.
pub fn cargo_build(dir: &Path, bin: Option<&str>) -> Result<Built, String> {
    // Under `cargo run`, the cargo that started us; else the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(&cargo);
    command
        .current_dir(dir)
        .args(["build", "--message-format=json-render-diagnostics"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(bin) = bin {
        command.args(["--bin", bin]);
    }
    let output = command
        .output()
        .map_err(|error| format!("cannot run {}: {error}", cargo.to_string_lossy()))?;
    if !output.status.success() {
        return Err("the build failed (cargo's errors are above)".to_string());
    }
    let manifest = dir.join("Cargo.toml");
    let binaries: Vec<(String, Built)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|message| binary_of(&message, &manifest))
        .collect();
    choose(binaries, bin)
}

/// The binary a `compiler-artifact` message names, if it is one of the
/// crate at `manifest`'s (not a dependency's, not a build script).
fn binary_of(message: &Value, manifest: &Path) -> Option<(String, Built)> {
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let is_bin = message["target"]["kind"]
        .as_array()
        .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
    let of_this_crate = message["manifest_path"]
        .as_str()
        .is_some_and(|path| same_file(Path::new(path), manifest));
    if !is_bin || !of_this_crate {
        return None;
    }
    let name = message["target"]["name"].as_str()?.to_string();
    let executable = PathBuf::from(message["executable"].as_str()?);
    let fresh = message["fresh"].as_bool().unwrap_or(false);
    Some((name, Built { executable, fresh }))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The binary to run: the one asked for, or the crate's only one.
fn choose(binaries: Vec<(String, Built)>, bin: Option<&str>) -> Result<Built, String> {
    let names: Vec<String> = binaries.iter().map(|(name, _)| name.clone()).collect();
    let mut chosen = binaries
        .into_iter()
        .filter(|(name, _)| bin.is_none_or(|wanted| wanted == name));
    match (chosen.next(), chosen.next()) {
        (Some((_, built)), None) => Ok(built),
        (None, _) => Err("the build made no binary to serve".to_string()),
        (Some(_), Some(_)) => Err(format!(
            "the crate has several binaries ({}): choose one with --bin",
            names.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(manifest: &str, kind: &str, name: &str, fresh: bool) -> Value {
        serde_json::json!({
            "reason": "compiler-artifact",
            "manifest_path": manifest,
            "target": { "kind": [kind], "name": name },
            "executable": format!("/t/debug/{name}"),
            "fresh": fresh,
        })
    }

    #[test]
    fn only_the_crates_own_binaries_are_taken() {
        let manifest = Path::new("/app/Cargo.toml");
        let own = artifact("/app/Cargo.toml", "bin", "app", true);
        let built = binary_of(&own, manifest).unwrap().1;
        assert_eq!(built.executable, Path::new("/t/debug/app"));
        assert!(built.fresh);
        for other in [
            artifact("/dep/Cargo.toml", "bin", "tool", false),
            artifact("/app/Cargo.toml", "lib", "app", false),
            serde_json::json!({ "reason": "build-finished", "success": true }),
        ] {
            assert!(binary_of(&other, manifest).is_none(), "{other}");
        }
    }

    #[test]
    fn several_binaries_need_a_choice() {
        let two = || {
            ["app", "tool"]
                .map(|name| {
                    let executable = PathBuf::from(format!("/t/{name}"));
                    (
                        name.to_string(),
                        Built {
                            executable,
                            fresh: false,
                        },
                    )
                })
                .into_iter()
                .collect::<Vec<_>>()
        };
        let err = choose(two(), None).err().unwrap();
        assert!(err.contains("app, tool") && err.contains("--bin"), "{err}");
        let tool = choose(two(), Some("tool")).ok().unwrap();
        assert_eq!(tool.executable, Path::new("/t/tool"));
        assert!(choose(Vec::new(), None).is_err());
    }
}
