//! `trellis new NAME` and `trellis init`: write an app that builds and
//! serves at once (`Cargo.toml`, `build.rs`, `src/main.rs`, three route
//! files, a commented `trellis.toml`, `.gitignore`, a README). Nothing is
//! ever overwritten: `new` refuses a folder that is not empty, `init` a
//! folder holding any file it would write.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

/// The files of a new app, but `Cargo.toml`, which names the app and where
/// Trellis comes from. `{{name}}` in them is the app's name.
const FILES: [(&str, &str); 8] = [
    ("build.rs", include_str!("../../templates/new-app/build.rs")),
    (
        "src/main.rs",
        include_str!("../../templates/new-app/src/main.rs"),
    ),
    (
        "app/api/hello/route.rs",
        include_str!("../../templates/new-app/app/api/hello/route.rs"),
    ),
    (
        "app/api/users/[id]/route.rs",
        include_str!("../../templates/new-app/app/api/users/[id]/route.rs"),
    ),
    (
        "app/api/time/route.rs",
        include_str!("../../templates/new-app/app/api/time/route.rs"),
    ),
    (
        "trellis.toml",
        include_str!("../../templates/new-app/trellis.toml"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/new-app/gitignore"),
    ),
    (
        "README.md",
        include_str!("../../templates/new-app/README.md"),
    ),
];

/// The crates of Trellis itself: an app of one of these names would depend
/// on itself.
const TRELLIS_CRATES: [&str; 5] = [
    "trellis",
    "trellis-engine",
    "trellis-routes",
    "trellis-config",
    "trellis-cache",
];

#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// The folder to create; its name is the app's crate name.
    path: PathBuf,
    #[command(flatten)]
    source: TrellisSource,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The folder to write into; its name is the app's crate name.
    #[arg(default_value = ".")]
    path: PathBuf,
    #[command(flatten)]
    source: TrellisSource,
}

#[derive(Debug, Clone, Args)]
struct TrellisSource {
    /// Depend on the Trellis checkout in DIR (its `trellis/` and `routes/`
    /// crates, and its Cargo.lock) instead of the published version: for an
    /// unpublished Trellis, and for Trellis's own tests.
    #[arg(long, value_name = "DIR")]
    trellis_path: Option<PathBuf>,
}

/// `trellis new PATH`: a new folder, or an empty one.
pub fn run_new(args: NewArgs) -> ExitCode {
    report(write_new(&args.path, &args.source), &args.path)
}

/// `trellis init [PATH]`: an existing folder, beside what is in it.
pub fn run_init(args: InitArgs) -> ExitCode {
    report(write_init(&args.path, &args.source), &args.path)
}

fn report(written: Result<String, String>, path: &Path) -> ExitCode {
    match written {
        Ok(name) => {
            println!("Created the Trellis app `{name}` in {}:", path.display());
            println!();
            println!("    cd {}", path.display());
            println!("    cargo run      # serves http://127.0.0.1:3000/api/hello");
            println!("    trellis dev    # the same, rebuilt and restarted on every change");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn write_new(path: &Path, source: &TrellisSource) -> Result<String, String> {
    if path.exists() {
        let mut entries = fs::read_dir(path).map_err(|error| {
            format!(
                "{} exists and cannot be read as a folder: {error}",
                path.display()
            )
        })?;
        if entries.next().is_some() {
            return Err(format!(
                "{} exists and is not empty; nothing was written. Choose a new folder, \
                 or run `trellis init` in it to add an app beside what is there",
                path.display()
            ));
        }
    }
    let name = crate_name(path)?;
    let app = App::new(name, source)?;
    fs::create_dir_all(path)
        .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
    app.write(path)
}

fn write_init(path: &Path, source: &TrellisSource) -> Result<String, String> {
    if !path.is_dir() {
        return Err(format!(
            "{} is not a folder: `trellis new` creates one",
            path.display()
        ));
    }
    let name = crate_name(path)?;
    let app = App::new(name, source)?;
    let taken: Vec<&str> = app
        .files()
        .map(|(file, _)| file)
        .filter(|file| path.join(file).exists())
        .collect();
    if !taken.is_empty() {
        return Err(format!(
            "{} already holds {}; nothing was written",
            path.display(),
            taken.join(", ")
        ));
    }
    app.write(path)
}

/// The app's name, from its folder's: a crate name as Cargo takes one.
fn crate_name(path: &Path) -> Result<String, String> {
    // `.` and `..` have a name only once resolved; a new folder has none yet.
    let full = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let folder = full
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| {
            format!(
                "{} names no folder to take the app's name from",
                path.display()
            )
        })?;
    let valid = folder
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && folder.starts_with(|c: char| c.is_ascii_alphabetic());
    if !valid {
        return Err(format!(
            "`{folder}` cannot name a crate: use letters, digits, `-` and `_`, starting with a letter"
        ));
    }
    if TRELLIS_CRATES.contains(&folder.as_str()) {
        return Err(format!(
            "`{folder}` is the name of a Trellis crate, which the app depends on: choose another"
        ));
    }
    Ok(folder)
}

/// The new app's files, ready to write.
struct App {
    name: String,
    cargo_toml: String,
    /// The checkout's lockfile, copied when the app depends on a checkout.
    lockfile: Option<PathBuf>,
}

impl App {
    fn new(name: String, source: &TrellisSource) -> Result<App, String> {
        let version = env!("CARGO_PKG_VERSION");
        let (trellis, routes, lockfile) = match &source.trellis_path {
            None => (format!("\"{version}\""), format!("\"{version}\""), None),
            Some(dir) => {
                let checkout = Checkout::at(dir)?;
                (
                    checkout.dependency("trellis")?,
                    checkout.dependency("routes")?,
                    checkout.lockfile(),
                )
            }
        };
        let cargo_toml = format!(
            "[package]\n\
             name = \"{name}\"\n\
             version = \"0.1.0\"\n\
             edition = \"2021\"\n\
             publish = false\n\
             \n\
             [dependencies]\n\
             # The whole command line of `trellis::main` is in the default `cli`\n\
             # feature. Each of these is left out of the first build until asked\n\
             # for, as in `trellis = {{ .., features = [\"tls\", \"redis\"] }}`:\n\
             # `\"tls\"` for https in `trellis::fetch` and in rewrites to other\n\
             # servers (plain http only without it), `\"redis\"` for a cache shared\n\
             # by several instances (`[cache] store` in trellis.toml), `\"otel\"` to\n\
             # export request spans over OTLP.\n\
             trellis = {trellis}\n\
             \n\
             [build-dependencies]\n\
             trellis-routes = {routes}\n\
             \n\
             # Faster debug builds (`trellis dev`): line tables for the app, so\n\
             # backtraces name its files and lines, and no debug info for\n\
             # dependencies.\n\
             [profile.dev]\n\
             debug = \"line-tables-only\"\n\
             \n\
             [profile.dev.package.\"*\"]\n\
             debug = false\n\
             \n\
             # A workspace of its own; delete this to make the app a member of an\n\
             # enclosing one.\n\
             [workspace]\n"
        );
        Ok(App {
            name,
            cargo_toml,
            lockfile,
        })
    }

    /// Every file but the lockfile, with its text.
    fn files(&self) -> impl Iterator<Item = (&str, String)> + '_ {
        let templates = FILES
            .iter()
            .map(|(file, text)| (*file, text.replace("{{name}}", &self.name)));
        std::iter::once(("Cargo.toml", self.cargo_toml.clone())).chain(templates)
    }

    fn write(&self, dir: &Path) -> Result<String, String> {
        for (file, text) in self.files() {
            let path = dir.join(file);
            if let Some(folder) = path.parent() {
                fs::create_dir_all(folder)
                    .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
            }
            fs::write(&path, text)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        }
        // The checkout's lockfile holds the versions the checkout is built
        // and tested with, all of them downloaded already: the app resolves
        // to the same, and its first build needs no registry (CI builds it
        // offline).
        if let Some(lockfile) = &self.lockfile {
            fs::copy(lockfile, dir.join("Cargo.lock"))
                .map_err(|error| format!("cannot copy {}: {error}", lockfile.display()))?;
        }
        Ok(self.name.clone())
    }
}

/// A Trellis checkout: the workspace with `trellis/` and `routes/` in it.
struct Checkout(PathBuf);

impl Checkout {
    fn at(dir: &Path) -> Result<Checkout, String> {
        let dir = dir
            .canonicalize()
            .map_err(|error| format!("--trellis-path {}: {error}", dir.display()))?;
        for member in ["trellis", "routes"] {
            if !dir.join(member).join("Cargo.toml").is_file() {
                return Err(format!(
                    "--trellis-path {}: not a Trellis checkout (no {member}/Cargo.toml)",
                    dir.display()
                ));
            }
        }
        Ok(Checkout(dir))
    }

    /// `{ path = '...' }` for the crate in folder `member`: a TOML literal
    /// string, which takes any path without escapes but one with `'`.
    fn dependency(&self, member: &str) -> Result<String, String> {
        let path = self.0.join(member);
        let text = path.to_string_lossy();
        if text.contains(['\'', '\n']) {
            return Err(format!(
                "--trellis-path: {text} cannot be written in Cargo.toml as it is; move the checkout"
            ));
        }
        Ok(format!("{{ path = '{text}' }}"))
    }

    fn lockfile(&self) -> Option<PathBuf> {
        Some(self.0.join("Cargo.lock")).filter(|lock| lock.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crate_name_is_taken_from_the_folder_and_checked() {
        assert_eq!(
            crate_name(Path::new("/tmp/my-app")),
            Ok("my-app".to_string())
        );
        for bad in ["/tmp/1app", "/tmp/my app", "/tmp/trellis", "/tmp/émile"] {
            assert!(crate_name(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_published_trellis_is_depended_on_by_version() {
        let source = TrellisSource { trellis_path: None };
        let app = App::new("my-app".to_string(), &source).unwrap();
        let version = env!("CARGO_PKG_VERSION");
        assert!(app.cargo_toml.contains(&format!("trellis = \"{version}\"")));
        assert!(app
            .cargo_toml
            .contains(&format!("trellis-routes = \"{version}\"")));
        let readme = app
            .files()
            .find(|(file, _)| *file == "README.md")
            .unwrap()
            .1;
        assert!(readme.starts_with("# my-app\n"), "{readme}");
    }

    #[test]
    fn a_folder_that_is_not_a_checkout_is_refused() {
        let source = TrellisSource {
            trellis_path: Some(std::env::temp_dir()),
        };
        let err = App::new("my-app".to_string(), &source).err().unwrap();
        assert!(err.contains("not a Trellis checkout"), "{err}");
    }
}
