//! Trellis serving one cached route whose body is 1 MiB (or the size
//! given), for compare.sh's `1mib` row: the route runs once, and every
//! request after is a hit on the same stored bytes.
//!
//! `cargo run --release --example cached-body -- PORT [BYTES]`
//!
//! `TRELLIS_*` variables apply, as to `trellis serve`; one worker.

use std::process::ExitCode;

use bytes::Bytes;
use trellis::{Config, Response, Router, Segment, Server};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(3904);
    let size: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1 << 20);
    let mut config = match Config::load(None) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    config.server.port = port;
    config.server.workers = 1;
    let body = Bytes::from(vec![b'x'; size]);
    let route = Segment::new()
        .revalidate(31_536_000)
        .get(move |_req, _ctx| {
            let body = body.clone();
            async move { Response::new(body).header("content-type", "application/octet-stream") }
        });
    let router = Router::new().route("/big", route);
    let served = actix_rt::System::new().block_on(async move {
        let server = Server::build(config, router)?;
        println!(
            "cached-body listening on http://{}/big",
            server.local_addr()
        );
        server.run_until_stopped().await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
