//! Where a request came from, and so what its URL's scheme and host are
//! and who the client is: a visitor (its `Host`, and behind a trusted
//! proxy that proxy's `Forwarded` or `X-Forwarded-*` headers), or nobody
//! (force-static answers and background regenerations, which take the
//! configured public URL and never a visitor's `Host`).

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header::{HeaderMap, HeaderName};
use trellis_config::{is_authority, TrustedProxies};

/// The origin of one request.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// A visitor's request, from `peer`; `proxies` is set only when the
    /// peer is one of them, and only then are forwarding headers read.
    Visitor {
        peer: Option<IpAddr>,
        proxies: Option<Arc<TrustedProxies>>,
    },
    /// No visitor behind it: `scheme://host` from configuration.
    Public(Arc<str>),
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

impl Origin {
    /// A visitor's origin: forwarding headers count only from `peer` in
    /// `proxies`.
    pub(crate) fn visitor(peer: Option<IpAddr>, proxies: &Arc<TrustedProxies>) -> Origin {
        let trusted = peer.is_some_and(|ip| proxies.contains(ip));
        Origin::Visitor {
            peer,
            proxies: trusted.then(|| proxies.clone()),
        }
    }

    /// Whether the request came through a trusted proxy, whose forwarding
    /// headers count.
    pub(crate) fn through_trusted_proxy(&self) -> bool {
        matches!(
            self,
            Origin::Visitor {
                proxies: Some(_),
                ..
            }
        )
    }

    /// `scheme://host` of the request's URL.
    pub(crate) fn base(&self, headers: &HeaderMap) -> String {
        match self {
            Origin::Public(base) => base.to_string(),
            Origin::Visitor { proxies, .. } => {
                let forwarded = proxies.as_ref().map(|_| Forwarding::read(headers));
                let scheme = forwarded
                    .as_ref()
                    .and_then(|f| f.proto.clone())
                    .unwrap_or_else(|| "http".to_string());
                let host = forwarded
                    .and_then(|f| f.host)
                    .or_else(|| {
                        let host = headers.get(actix_web::http::header::HOST)?.to_str().ok()?;
                        is_authority(host).then(|| host.to_string())
                    })
                    .unwrap_or_else(|| "localhost".to_string());
                format!("{scheme}://{host}")
            }
        }
    }

    /// The client's address: the peer, or behind trusted proxies the
    /// nearest address they forwarded that is not one of them.
    pub(crate) fn client_ip(&self, headers: &HeaderMap) -> Option<IpAddr> {
        match self {
            Origin::Public(_) => None,
            Origin::Visitor {
                peer,
                proxies: None,
            } => *peer,
            Origin::Visitor {
                peer,
                proxies: Some(proxies),
            } => Forwarding::read(headers)
                .chain
                .into_iter()
                .rev()
                .find(|ip| !proxies.contains(*ip))
                .or(*peer),
        }
    }
}

/// What a trusted proxy said of the request: `Forwarded` (RFC 7239) when
/// it sent one, else `X-Forwarded-*`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarding {
    proto: Option<String>,
    host: Option<String>,
    /// Client addresses, nearest last.
    chain: Vec<IpAddr>,
}

impl Forwarding {
    fn read(headers: &HeaderMap) -> Forwarding {
        let values = |name: &HeaderName| -> Vec<String> {
            headers
                .get_all(name)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let forwarded = values(&FORWARDED);
        if !forwarded.is_empty() {
            return Forwarding::from_forwarded(&forwarded);
        }
        let proto = values(&X_FORWARDED_PROTO).pop().filter(|p| is_scheme(p));
        let host = values(&X_FORWARDED_HOST).pop().filter(|h| is_authority(h));
        let chain = values(&X_FORWARDED_FOR)
            .iter()
            .filter_map(|ip| parse_node(ip))
            .collect();
        Forwarding { proto, host, chain }
    }

    /// `for=192.0.2.60;proto=https;host=example.com, for=...`: the nearest
    /// element (last) says the scheme and host the proxy was asked for.
    fn from_forwarded(elements: &[String]) -> Forwarding {
        let mut forwarding = Forwarding::default();
        for element in elements {
            for pair in element.split(';') {
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "for" => forwarding.chain.extend(parse_node(value)),
                    "proto" if is_scheme(value) => forwarding.proto = Some(value.to_lowercase()),
                    "host" if is_authority(value) => forwarding.host = Some(value.to_string()),
                    _ => {}
                }
            }
        }
        forwarding
    }
}

fn is_scheme(value: &str) -> bool {
    value.eq_ignore_ascii_case("http") || value.eq_ignore_ascii_case("https")
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:80`,
/// `[2001:db8::1]:80`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    let host = match node.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => node.rsplit_once(':').map_or(node, |(host, _)| host),
    };
    host.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn loopback() -> Arc<TrustedProxies> {
        Arc::new(TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap())
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_peer() {
        let sent = headers(&[
            ("host", "internal:3000"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "example.com"),
            ("x-forwarded-for", "203.0.113.9, 127.0.0.2"),
        ]);
        let trusted = Origin::visitor("127.0.0.1".parse().ok(), &loopback());
        assert_eq!(trusted.base(&sent), "https://example.com");
        assert_eq!(trusted.client_ip(&sent), "203.0.113.9".parse().ok());
        let outsider = Origin::visitor("198.51.100.7".parse().ok(), &loopback());
        assert_eq!(outsider.base(&sent), "http://internal:3000");
        assert_eq!(outsider.client_ip(&sent), "198.51.100.7".parse().ok());
    }

    #[test]
    fn forwarded_is_read_as_rfc_7239_writes_it() {
        let sent = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https;host=shop.example",
        )]);
        let trusted = Origin::visitor("127.0.0.1".parse().ok(), &loopback());
        assert_eq!(trusted.base(&sent), "https://shop.example");
        assert_eq!(trusted.client_ip(&sent), "2001:db8::1".parse().ok());
    }

    #[test]
    fn a_host_that_is_not_an_authority_is_never_a_base() {
        let sent = headers(&[("host", "evil/x"), ("x-forwarded-host", "a b")]);
        let trusted = Origin::visitor("127.0.0.1".parse().ok(), &loopback());
        assert_eq!(trusted.base(&sent), "http://localhost");
        assert_eq!(
            Origin::Public("https://app.example".into()).base(&sent),
            "https://app.example"
        );
    }
}
