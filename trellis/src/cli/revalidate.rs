//! `trellis revalidate`: on-demand revalidation of a running server, through
//! its admin endpoint, over http or (with the `tls` feature) https, with the
//! admin token.

use std::error::Error as _;
use std::path::Path;
use std::process::ExitCode;

use clap::{ArgGroup, Args};
use trellis_config::redact_url;

use crate::{Config, REVALIDATE_ENDPOINT};

#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["path", "tag"])))]
pub struct RevalidateArgs {
    /// The next GET of this path regenerates and waits for the new body.
    #[arg(long)]
    path: Option<String>,
    /// With --path: `page` for every path of a route pattern
    /// (`/blog/[slug]`), `layout` for every route under it (`/blog`).
    // `conflicts_with` as well: with `path` in the required group, clap
    // lets `requires = "path"` pass when `--tag` fills the group.
    #[arg(long = "type", requires = "path", conflicts_with = "tag", value_parser = ["page", "layout"])]
    kind: Option<String>,
    /// Every entry with this tag is served stale once and regenerated.
    #[arg(long)]
    tag: Option<String>,
    /// With --tag: the cache profile to revalidate with (default `max`).
    #[arg(long, requires = "tag", conflicts_with_all = ["expire", "path"])]
    profile: Option<String>,
    /// With --tag: seconds the stale entries may still be served; 0
    /// expires them now, so the next request waits for fresh data.
    #[arg(long, requires = "tag", conflicts_with = "path")]
    expire: Option<u64>,
    /// The server's base URL (`https://` too, in a build with the `tls`
    /// feature).
    #[arg(long, env = "TRELLIS_URL", default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The admin token. Without it, the one the server would read:
    /// `TRELLIS_ADMIN__TOKEN`, or `[admin] token` of the config file
    /// (which keeps it out of the process list, unlike this flag).
    #[arg(long)]
    token: Option<String>,
}

/// Sends the revalidation; `config_file` is the global `--config`, read
/// only when no `--token` is given.
pub fn run(args: RevalidateArgs, config_file: Option<&Path>) -> ExitCode {
    let mut query = match (&args.path, &args.tag) {
        (Some(path), _) => vec![("path", path.clone())],
        (None, Some(tag)) => vec![("tag", tag.clone())],
        (None, None) => {
            eprintln!("error: give --path or --tag");
            return ExitCode::FAILURE;
        }
    };
    query.extend(args.kind.clone().map(|kind| ("type", kind)));
    query.extend(args.profile.clone().map(|profile| ("profile", profile)));
    query.extend(args.expire.map(|expire| ("expire", expire.to_string())));
    let token = match admin_token(args.token.clone(), config_file) {
        Ok(token) => token,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let url = format!("{}{REVALIDATE_ENDPOINT}", args.url.trim_end_matches('/'));
    #[cfg(not(feature = "tls"))]
    if url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    {
        eprintln!(
            "error: {}: this build of trellis has no TLS and speaks plain http only: \
             build it with the `tls` feature (`features = [\"tls\"]` on the app's trellis \
             dependency, or `cargo install trellis --features tls`)",
            redact_url(&url)
        );
        return ExitCode::FAILURE;
    }
    if sends_in_clear(&url) {
        eprintln!(
            "warning: the admin token goes unencrypted to {}: use https://",
            redact_url(&url)
        );
    }
    let target = url.clone();
    let outcome = actix_rt::System::new().block_on(async move {
        let client = reqwest::Client::builder().build()?;
        let response = client
            .post(target)
            .query(&query)
            .bearer_auth(token)
            .send()
            .await?;
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
            // reqwest's text names the URL as given: printed redacted instead.
            eprintln!(
                "error: {}: {}",
                redact_url(&url),
                causes(&error.without_url())
            );
            ExitCode::FAILURE
        }
    }
}

/// The token given, or else the config's, as the server would load it.
fn admin_token(given: Option<String>, config_file: Option<&Path>) -> Result<String, String> {
    let token = match given {
        Some(token) => Some(token),
        None => {
            Config::load(config_file)
                .map_err(|error| error.to_string())?
                .admin
                .token
        }
    };
    token.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        "no admin token: pass --token, set TRELLIS_ADMIN__TOKEN, or `[admin] token` in trellis.toml"
            .to_string()
    })
}

/// Whether `url` is plain http to a host other than this machine.
fn sends_in_clear(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let local = match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    parsed.scheme() == "http" && !local
}

/// An error and its causes, `: `-separated (reqwest's own text says only
/// "error sending request").
fn causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_to_another_machine_sends_the_token_in_clear() {
        assert!(sends_in_clear(
            "http://cache.example:3000/_trellis/revalidate"
        ));
        for url in [
            "https://cache.example/_trellis/revalidate",
            "http://127.0.0.1:3000/_trellis/revalidate",
            "http://localhost:3000/_trellis/revalidate",
            "http://[::1]:3000/_trellis/revalidate",
        ] {
            assert!(!sends_in_clear(url), "{url}");
        }
    }

    #[test]
    fn an_empty_token_is_no_token() {
        let err = admin_token(Some("  ".into()), None).unwrap_err();
        assert!(err.contains("TRELLIS_ADMIN__TOKEN"), "{err}");
        assert_eq!(admin_token(Some("t0k".into()), None), Ok("t0k".into()));
    }
}
