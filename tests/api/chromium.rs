//! A real headless Chromium for the HTML report's test: it opens the page,
//! runs its script and prints the DOM as the script left it. `.ci/run`
//! installs Debian's `chromium` where it is missing; elsewhere a machine
//! without it skips that test, loudly, and CI never does.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// Debian's package and binary name.
const BINARY: &str = "chromium";

/// Long enough for a cold start on a busy CI machine.
const PATIENCE: Duration = Duration::from_secs(90);

pub struct Chromium;

impl Chromium {
    /// The browser, or `None` (with a note) on a machine without one,
    /// outside CI.
    pub async fn find() -> Option<Chromium> {
        let found = tokio::process::Command::new(BINARY)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|status| status.success());
        if found {
            return Some(Chromium);
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing: .ci/run installs it (apt-get install chromium)"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        None
    }

    /// Opens `page` headless, with a fresh profile in `profile`, and
    /// returns the DOM once the page has loaded and its script has run.
    pub async fn dump_dom(&self, page: &Path, profile: &Path) -> String {
        let mut command = tokio::process::Command::new(BINARY);
        command
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .args([
                "--disable-background-networking",
                "--disable-component-update",
            ])
            .args(["--disable-sync", "--no-first-run"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(PATIENCE, command.output())
            .await
            .expect("chromium prints the page within its time")
            .expect("chromium runs");
        assert!(
            output.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("the DOM is UTF-8")
    }
}
