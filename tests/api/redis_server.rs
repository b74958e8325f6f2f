//! A real `redis-server` for the shared-cache tests, on a free port, killed
//! when dropped. `.ci/run` installs Redis where it is missing; elsewhere a
//! machine without it skips those tests, loudly, and CI never does.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct RedisServer {
    pub port: u16,
    /// Given to `redis-server` after ours (`--maxmemory 8mb`), on every
    /// start.
    extra_args: Vec<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// A fresh Redis, or `None` (with a note) on a machine without one,
    /// outside CI.
    pub async fn start() -> Option<RedisServer> {
        RedisServer::start_with(&[]).await
    }

    /// Like [`start`](Self::start), with `extra_args` for `redis-server`.
    pub async fn start_with(extra_args: &[&str]) -> Option<RedisServer> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is missing: .ci/run installs it (apt-get install redis-server)"
            );
            eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let port = free_port();
        let mut server = RedisServer {
            port,
            extra_args: extra_args.iter().map(|arg| arg.to_string()).collect(),
            child: None,
        };
        server.restart().await;
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server, as an outage would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty, and waits for its PONG.
    pub async fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "local"])
            .args(&self.extra_args)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        for _ in 0..500 {
            if self.ping().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("redis-server on port {} never answered", self.port);
    }

    /// Sends one command and returns its reply as sent (RESP), trimmed.
    pub async fn command(&self, command: &str) -> String {
        let mut stream = self.send(command).await;
        // A reply may come in pieces: read until Redis has been quiet a while.
        let mut reply = Vec::new();
        let mut chunk = [0u8; 256];
        while let Ok(Ok(read @ 1..)) =
            tokio::time::timeout(Duration::from_millis(50), stream.read(&mut chunk)).await
        {
            reply.extend_from_slice(&chunk[..read]);
        }
        String::from_utf8_lossy(&reply).trim_end().to_string()
    }

    /// Makes Redis answer nothing for `seconds`, as an overloaded Redis
    /// would; returns once the stall has begun.
    pub async fn stall(&self, seconds: u32) {
        let mut stream = self.send(&format!("DEBUG SLEEP {seconds}")).await;
        tokio::spawn(async move {
            let mut reply = [0u8; 5];
            let _ = stream.read_exact(&mut reply).await;
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    async fn send(&self, command: &str) -> tokio::net::TcpStream {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("redis accepts");
        stream
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .expect("command sent");
        stream
    }

    async fn ping(&self) -> bool {
        let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").await.is_ok()
            && stream.read_exact(&mut reply).await.is_ok()
            && &reply == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
