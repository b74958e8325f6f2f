//! The changes `trellis dev` rebuilds for: anything under `app/` or `src/`,
//! and the crate's `trellis.toml`, `Cargo.toml` and `build.rs`; never
//! `target/`, which the build itself writes.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// An editor's save is several events (write, rename, metadata) within a
/// few milliseconds: a change is over once this passes without another.
const QUIET: Duration = Duration::from_millis(150);

/// The files of the crate's folder itself that a change of means a rebuild.
const CRATE_FILES: [&str; 3] = ["trellis.toml", "Cargo.toml", "build.rs"];

/// The folders watched, with everything below them.
const WATCHED_FOLDERS: [&str; 2] = ["app", "src"];

/// A change that is over: what the next build is for.
pub struct Change {
    /// `trellis.toml` changed: the server must restart even if the binary
    /// did not.
    pub config: bool,
}

/// The watcher, and the events it sends.
pub struct Changes {
    // Dropping the watcher stops the events: it lives as long as this.
    _watcher: RecommendedWatcher,
    events: Receiver<notify::Result<Event>>,
    crate_dir: PathBuf,
}

impl Changes {
    /// Watches the crate in `crate_dir`.
    pub fn start(crate_dir: &Path) -> notify::Result<Changes> {
        let crate_dir = crate_dir.canonicalize()?;
        let (sender, events) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(sender)?;
        for folder in WATCHED_FOLDERS {
            let path = crate_dir.join(folder);
            if path.is_dir() {
                watcher.watch(&path, RecursiveMode::Recursive)?;
            }
        }
        // The folder itself, for its files; `relevant` filters the rest.
        watcher.watch(&crate_dir, RecursiveMode::NonRecursive)?;
        Ok(Changes {
            _watcher: watcher,
            events,
            crate_dir,
        })
    }

    /// Waits for a change that matters and for it to be over; `None` once
    /// the watcher has stopped.
    pub fn next(&self) -> Option<Change> {
        let mut change = loop {
            let event = self.events.recv().ok()?;
            if let Some(change) = self.relevant(event) {
                break change;
            }
        };
        loop {
            match self.events.recv_timeout(QUIET) {
                Ok(event) => {
                    if let Some(more) = self.relevant(event) {
                        change.config |= more.config;
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Some(change),
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The change an event is, if it is one a build is for. A watcher error
    /// (events lost) counts as a change: better a build too many.
    fn relevant(&self, event: notify::Result<Event>) -> Option<Change> {
        let Ok(event) = event else {
            return Some(Change { config: true });
        };
        let writes = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            _ => true,
        };
        let mut paths = event.paths.iter().filter_map(|path| self.watched(path));
        match paths.next() {
            Some(first) if writes => Some(Change {
                config: first || paths.any(|config| config),
            }),
            _ => None,
        }
    }

    /// For a path under a watched folder or one of the crate files: whether
    /// it is `trellis.toml`. `None` for any other path.
    fn watched(&self, path: &Path) -> Option<bool> {
        let inside = path.strip_prefix(&self.crate_dir).ok()?;
        let mut parts = inside.components();
        let first = parts.next()?.as_os_str().to_str()?;
        let is_file_of_crate = parts.next().is_none() && CRATE_FILES.contains(&first);
        match is_file_of_crate || WATCHED_FOLDERS.contains(&first) {
            true => Some(first == "trellis.toml"),
            false => None,
        }
    }
}
