//! Where a run sends its requests: the address to connect to and the
//! `Host` they name, from an `http://` URL.

use std::net::{SocketAddr, ToSocketAddrs};

/// A server to load.
#[derive(Debug, Clone)]
pub struct Target {
    /// The URL as given, for the report.
    pub url: String,
    pub addr: SocketAddr,
    /// `host:port`, for the `Host` header.
    pub host: String,
}

impl Target {
    /// The target of `url`, and the path and query it names (`/` when it
    /// names none).
    pub fn parse(url: &str) -> Result<(Target, String), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        if parsed.scheme() != "http" {
            return Err(format!("{url}: only http:// URLs are supported"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("{url}: the URL has no host"))?;
        let port = parsed.port_or_known_default().unwrap_or(80);
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("{host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        let path = match parsed.query() {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_string(),
        };
        let target = Target {
            url: url.to_string(),
            addr,
            host: format!("{host}:{port}"),
        };
        Ok((target, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_the_address_the_host_header_and_the_path() {
        let (target, path) = Target::parse("http://127.0.0.1:3000/posts?page=2").unwrap();
        assert_eq!(target.addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(target.host, "127.0.0.1:3000");
        assert_eq!(path, "/posts?page=2");
        assert_eq!(Target::parse("http://127.0.0.1").unwrap().1, "/");
        assert!(Target::parse("https://127.0.0.1/").is_err());
    }
}
