//! `trellis revalidate`: on-demand revalidation of a running server, through
//! its admin endpoint (allowed from loopback, or anywhere with the token).

use std::process::ExitCode;

use clap::{ArgGroup, Args};
use trellis::REVALIDATE_ENDPOINT;

#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["path", "tag"])))]
pub struct RevalidateArgs {
    /// The next GET of this path regenerates and waits for the new body.
    #[arg(long)]
    path: Option<String>,
    /// Every path with this tag is served stale once and regenerated.
    #[arg(long)]
    tag: Option<String>,
    /// The server's base URL.
    #[arg(long, env = "TRELLIS_URL", default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The admin token, for a server that is not on this machine.
    #[arg(long, env = "TRELLIS_ADMIN_TOKEN")]
    token: Option<String>,
}

pub fn run(args: RevalidateArgs) -> ExitCode {
    let (key, value) = match (&args.path, &args.tag) {
        (Some(path), _) => ("path", path.clone()),
        (None, Some(tag)) => ("tag", tag.clone()),
        (None, None) => {
            eprintln!("error: give --path or --tag");
            return ExitCode::FAILURE;
        }
    };
    let outcome = actix_rt::System::new().block_on(async move {
        let url = format!("{}{REVALIDATE_ENDPOINT}", args.url.trim_end_matches('/'));
        let mut request = reqwest::Client::new().post(url).query(&[(key, value)]);
        if let Some(token) = &args.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let body = response.text().await?;
        Ok::<_, reqwest::Error>((status, body))
    });
    match outcome {
        Ok((status, body)) if status.is_success() => {
            println!("{body}");
            ExitCode::SUCCESS
        }
        Ok((status, body)) => {
            eprintln!("error: the server answered {status}: {body}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
