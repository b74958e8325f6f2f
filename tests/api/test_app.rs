//! `spawn_app()`: the demo app (or any router) on 127.0.0.1:0, with a client
//! that does not follow redirects, so tests see 3xx as sent.

use std::future::Future;
use std::sync::Once;
use std::time::Duration;

use reqwest::{Method, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trellis::{Clock, Config, Router, Server, ServerHandle};

pub struct TestApp {
    pub address: String,
    client: reqwest::Client,
    handle: ServerHandle,
}

/// Serves the demo app. Call inside `#[actix_web::test]`.
pub fn spawn_app() -> TestApp {
    spawn_router(crate::app::router())
}

/// Serves `router` on one worker, so every request meets the same actors.
pub fn spawn_router(router: Router) -> TestApp {
    spawn_with(router, test_config(), Clock::System)
}

/// The admin token `test_config()` sets: the engine's endpoints need it.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// One worker, a free port, and no refresh timer unless a test turns it on:
/// cache tests move a manual clock and expect nothing to move on its own.
/// The admin token is [`ADMIN_TOKEN`].
pub fn test_config() -> Config {
    for_tests(Config::default())
}

fn for_tests(mut config: Config) -> Config {
    config.server.port = 0;
    config.server.workers = 1;
    config.cache.tick_ms = 0;
    config.admin.token = Some(ADMIN_TOKEN.to_string());
    config
}

pub fn spawn_with(router: Router, config: Config, clock: Clock) -> TestApp {
    init_tracing();
    let server = Server::build_with_clock(config, router, clock).expect("the test server builds");
    let address = format!("http://{}", server.local_addr());
    let handle = server.handle();
    actix_rt::spawn(server.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the test client builds");
    TestApp {
        address,
        client,
        handle,
    }
}

/// Logs go to the terminal only with `TEST_LOG` set.
fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt().with_env_filter("debug").init();
        }
    });
}

impl TestApp {
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).await
    }

    /// A GET with one request header.
    pub async fn get_with(&self, path: &str, name: &str, value: &str) -> Response {
        self.builder(Method::GET, path)
            .header(name, value)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn request(&self, method: Method, path: &str) -> Response {
        self.builder(method, path)
            .send()
            .await
            .expect("the server answers")
    }

    /// A call to one of the engine's endpoints (`/_trellis/...`), with
    /// [`ADMIN_TOKEN`].
    pub async fn admin(&self, method: Method, path: &str) -> Response {
        self.builder(method, path)
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("the server answers")
    }

    /// The Prometheus text of `/_trellis/metrics`, read with the token.
    pub async fn metrics(&self) -> String {
        let response = self.admin(Method::GET, "/_trellis/metrics").await;
        assert_eq!(response.status(), 200, "the metrics with the token");
        response.text().await.expect("the metrics text")
    }

    /// A request to finish by hand: headers, body, then `send`.
    pub fn builder(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// Sends `request_line` and a `Host` header as they are, byte for byte,
    /// for paths a URL library would tidy; returns the whole response text.
    pub async fn raw(&self, request_line: &str) -> String {
        let request = format!("{request_line}\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        self.raw_request(&request).await
    }

    /// Sends `request` (a whole HTTP/1.1 request head, `Connection: close`
    /// included) byte for byte; returns the whole response text.
    pub async fn raw_request(&self, request: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(self.address.trim_start_matches("http://"))
            .await
            .expect("the server accepts");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("request sent");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("response read");
        response
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent now; awaiting its completion is not needed.
        drop(self.handle.stop(false));
    }
}

/// Waits until `check` returns `Some`, trying every few milliseconds: for
/// work the server does in the background. Panics after 10 s, which only a
/// hung server takes; nothing here asserts how fast anything is.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..1000 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("gave up waiting for {what}");
}

/// The body of a JSON response.
pub async fn json(response: Response) -> serde_json::Value {
    response.json().await.expect("a JSON body")
}

/// A config file in a fresh temporary folder, removed on drop.
pub struct ConfigFile(std::path::PathBuf);

impl ConfigFile {
    pub fn new(name: &str, text: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("trellis-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("trellis.toml");
        std::fs::write(&file, text).unwrap();
        ConfigFile(file)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
    }
}

/// `text` as a config file, with [`test_config`]'s port, worker, timer and
/// token: the rules of a test, served the way every test serves.
pub fn config_with(text: &str) -> Config {
    for_tests(Config::parse(text).expect("the test's config parses"))
}

/// Runs the demo's binary (the `trellis` command line, with the demo's
/// routes) with `args` to its end.
pub async fn trellis(args: &[&str]) -> std::process::Output {
    trellis_with_env(args, &[]).await
}

/// Runs the demo's binary with `args` and these variables set, and
/// without any `TRELLIS_ADMIN__TOKEN` of the test's own environment.
pub async fn trellis_with_env(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    trellis_command()
        .args(args)
        .envs(vars.iter().copied())
        .output()
        .await
        .expect("the trellis binary runs")
}

/// The demo's binary as a command to finish by hand, without any
/// `TRELLIS_ADMIN__TOKEN` of the test's own environment.
pub fn trellis_command() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_trellis-demo"));
    command.env_remove("TRELLIS_ADMIN__TOKEN");
    command
}

/// The log of a demo binary started by [`serve_demo`], line by line.
pub type LogLines = tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>;

/// Starts the demo binary (`serve --port 0 --workers 1` and `extra`) with
/// logs at `info`; returns it, its base URL, and the rest of its log. A
/// caller that does not read the log must drain it, or the pipe fills.
pub async fn serve_demo(extra: &[&std::ffi::OsStr]) -> (tokio::process::Child, String, LogLines) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trellis-demo"))
        .args(["serve", "--port", "0", "--workers", "1"])
        .args(extra)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the trellis binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await.expect("the log reads") {
        if let Some(at) = line.find("http://") {
            let url = line[at..]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            return (child, url, lines);
        }
    }
    panic!("the server never said where it listens");
}

/// The `Cache-Status` and the `generation` of one GET of a route that
/// counts its runs; the GET must succeed.
pub async fn status_and_generation(app: &TestApp, path: &str) -> (String, u64) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let status = response.headers()["cache-status"]
        .to_str()
        .expect("an ASCII Cache-Status")
        .to_string();
    let generation = json(response).await["generation"]
        .as_u64()
        .expect("a generation");
    (status, generation)
}
