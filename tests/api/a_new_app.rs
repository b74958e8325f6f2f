//! A user's app, end to end: `trellis new` writes it against this checkout,
//! cargo builds it, it serves its routes, and `trellis dev` serves the edit
//! of a route file and keeps the last good build through a broken one.
//!
//! The one test that builds a crate, so one function: two cargo builds never
//! run at once. Its target dir (`target/user-app`) is its own and kept, so
//! later runs rebuild only the app; the lockfile `trellis new` copies from
//! this checkout lets it build offline.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use crate::test_app::{json, trellis, trellis_command};

/// The longest a build of the app may take here: the first one compiles
/// every dependency (minutes on two cores); later ones only the app.
const BUILD_TIME: Duration = Duration::from_secs(900);

/// A fresh temporary folder, removed on drop.
struct TempFolder(PathBuf);

impl TempFolder {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("trellis-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temporary folder is created");
        TempFolder(dir)
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Where the app's builds go: beside this checkout's own, kept across runs.
fn user_app_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("user-app")
}

/// The lines a child writes on one of its pipes, as they come.
fn lines(pipe: impl AsyncRead + Unpin + 'static) -> UnboundedReceiver<String> {
    let (sender, receiver) = unbounded_channel();
    actix_rt::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Reads `lines` until one contains `wanted`, for up to `limit`; returns
/// every line read, that one last.
async fn until(
    lines: &mut UnboundedReceiver<String>,
    wanted: &str,
    limit: Duration,
) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, lines.recv()).await {
            Ok(Some(line)) => {
                let found = line.contains(wanted);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Ok(None) => panic!("the output ended before `{wanted}`:\n{}", seen.join("\n")),
            Err(_) => panic!("no `{wanted}` within {limit:?}:\n{}", seen.join("\n")),
        }
    }
}

/// The first `http://host:port` in `line`.
fn url_in(line: &str) -> String {
    let at = line.find("http://").expect("a URL in the line");
    line[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.' | '[' | ']'))
        .collect()
}

/// A client that opens a connection for every request: an old server's
/// kept-alive connection would hide which server answers.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("the client builds")
}

async fn message(client: &reqwest::Client, base: &str) -> serde_json::Value {
    let response = client
        .get(format!("{base}/api/hello"))
        .send()
        .await
        .expect("the server answers: no connection is refused");
    assert_eq!(response.status(), 200);
    json(response).await["message"].clone()
}

/// Asks until the message is `wanted`, every answer on the way being one
/// of `allowed`; returns how long that took.
async fn until_message(
    client: &reqwest::Client,
    base: &str,
    wanted: &str,
    allowed: &[&str],
) -> Duration {
    let started = Instant::now();
    loop {
        let got = message(client, base).await;
        if got == wanted {
            return started.elapsed();
        }
        assert!(
            allowed.iter().any(|a| got == *a),
            "an answer neither old nor new: {got}"
        );
        assert!(started.elapsed() < BUILD_TIME, "still not `{wanted}`");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn cargo_build(app: &Path) {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--offline"])
        .current_dir(app)
        .env("CARGO_TARGET_DIR", user_app_target())
        .status()
        .await
        .expect("cargo runs");
    assert!(status.success(), "the new app builds");
}

fn spawn(mut command: Command) -> (Child, UnboundedReceiver<String>, UnboundedReceiver<String>) {
    let mut child = command
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the process starts");
    let stdout = lines(child.stdout.take().expect("stdout is piped"));
    let stderr = lines(child.stderr.take().expect("stderr is piped"));
    (child, stdout, stderr)
}

#[actix_web::test]
async fn a_new_app_builds_serves_its_routes_and_trellis_dev_serves_each_edit() {
    let checkout = env!("CARGO_MANIFEST_DIR");
    let temp = TempFolder::new("new-app");
    let app = temp.0.join("hello-app");

    let created = trellis(&["new", text(&app), "--trellis-path", checkout]).await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src/main.rs",
        "app/api/hello/route.rs",
        "app/api/users/[id]/route.rs",
        "app/api/time/route.rs",
        "trellis.toml",
        ".gitignore",
        "README.md",
    ] {
        assert!(app.join(file).is_file(), "{file} is written");
    }
    let readme = app.join("README.md");
    std::fs::write(&readme, "my own notes").unwrap();
    let again = trellis(&["new", text(&app), "--trellis-path", checkout]).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), "my own notes");

    cargo_build(&app).await;
    let mut serve = Command::new(user_app_target().join("debug/hello-app"));
    serve.args(["serve", "--port", "0"]).current_dir(&app);
    let (server, mut stdout, _stderr) = spawn(serve);
    let base = url_in(
        until(&mut stdout, "http://", Duration::from_secs(60))
            .await
            .last()
            .unwrap(),
    );
    actix_rt::spawn(async move { while stdout.recv().await.is_some() {} });
    let client = fresh_connections();
    assert_eq!(message(&client, &base).await, "Hello World");
    let user = client
        .get(format!("{base}/api/users/42"))
        .send()
        .await
        .unwrap();
    assert_eq!(json(user).await, json!({ "id": 42 }));
    let not_a_number = client
        .get(format!("{base}/api/users/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_number.status(), 400);
    let first = client.get(format!("{base}/api/time")).send().await.unwrap();
    assert_eq!(first.headers()["cache-status"], "trellis; fwd=miss; stored");
    let first = first.text().await.unwrap();
    let second = client.get(format!("{base}/api/time")).send().await.unwrap();
    assert_eq!(second.headers()["cache-status"], "trellis; hit");
    assert_eq!(second.text().await.unwrap(), first, "served from the cache");
    drop(server);

    let mut dev = trellis_command();
    dev.args(["dev", "--port", "0"])
        .current_dir(&app)
        .env("CARGO_TARGET_DIR", user_app_target())
        .env("CARGO_NET_OFFLINE", "true");
    let (_dev, mut stdout, mut stderr) = spawn(dev);
    let base = url_in(
        until(&mut stdout, "trellis dev: http://", Duration::from_secs(60))
            .await
            .last()
            .unwrap(),
    );
    actix_rt::spawn(async move { while stdout.recv().await.is_some() {} });
    until_message(&client, &base, "Hello World", &[]).await;

    let route = app.join("app/api/hello/route.rs");
    let hello = std::fs::read_to_string(&route).unwrap();
    std::fs::write(&route, hello.replace("Hello World", "Hello again")).unwrap();
    let took = until_message(&client, &base, "Hello again", &["Hello World"]).await;
    eprintln!("trellis dev: {took:?} from saving the route file to its new answer");

    std::fs::write(&route, "pub async fn GET( {").unwrap();
    let report = until(&mut stderr, "the build failed", BUILD_TIME).await;
    let errors: Vec<&String> = report
        .iter()
        .filter(|line| line.contains("app/api/hello/route.rs: does not parse as Rust"))
        .collect();
    assert_eq!(errors.len(), 1, "the error, once:\n{}", report.join("\n"));
    assert!(report
        .last()
        .unwrap()
        .contains("still serving the last good build"));
    assert_eq!(message(&client, &base).await, "Hello again");
}
