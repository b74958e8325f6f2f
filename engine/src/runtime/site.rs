//! The site as the outside sees it: which `Host`s it answers, which peers'
//! forwarding headers are believed, the public URL that answers made with
//! no visitor behind them (force-static routes, regenerations) use instead
//! of anybody's `Host`, and the address the server reaches itself at (a
//! relative `trellis::fetch`).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use trellis_config::{is_authority_bytes, ConfigError, ServerConfig, TrustedProxies};

use crate::api::origin::Origin;
use crate::api::response::Response;

pub(crate) struct Site {
    proxies: Arc<TrustedProxies>,
    /// `[server] public_url`, or the bound address once the server binds.
    public_url: OnceLock<Arc<str>>,
    /// The bound address, as this machine reaches it.
    own_url: OnceLock<Arc<str>>,
    server: ServerConfig,
}

impl Site {
    pub(crate) fn new(server: &ServerConfig) -> Result<Site, ConfigError> {
        let public_url = OnceLock::new();
        if let Some(url) = server.checked_public_url()? {
            let _ = public_url.set(Arc::from(url));
        }
        Ok(Site {
            proxies: Arc::new(TrustedProxies::parse(&server.trusted_proxies)?),
            public_url,
            own_url: OnceLock::new(),
            server: server.clone(),
        })
    }

    /// Without a configured `public_url`, the address the server listens on.
    pub(crate) fn bound(&self, address: SocketAddr) {
        let _ = self.public_url.set(Arc::from(format!("http://{address}")));
        // Listening on every interface (0.0.0.0, ::) is reached on loopback.
        let mut own = address;
        if own.ip().is_unspecified() {
            own.set_ip(match own {
                SocketAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
                SocketAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            });
        }
        let _ = self.own_url.set(Arc::from(format!("http://{own}")));
    }

    /// Where this server reaches itself, once bound.
    pub(crate) fn own_url(&self) -> Arc<str> {
        self.own_url
            .get_or_init(|| Arc::from("http://127.0.0.1"))
            .clone()
    }

    pub(crate) fn public_url(&self) -> Arc<str> {
        self.public_url
            .get_or_init(|| Arc::from("http://localhost"))
            .clone()
    }

    /// The origin of a request from `peer`.
    pub(crate) fn visitor(&self, peer: Option<IpAddr>) -> Origin {
        Origin::visitor(peer, &self.proxies)
    }

    /// A 400 for a `Host` that is not an authority, or not one this server
    /// answers (`[server] allowed_hosts`); `None` when it passes.
    pub(crate) fn refuses_host(&self, headers: &HeaderMap) -> Option<Response> {
        let host = headers.get(header::HOST)?.as_bytes();
        if !is_authority_bytes(host) {
            return Some(Response::json_error(
                StatusCode::BAD_REQUEST,
                "invalid Host header",
            ));
        }
        if self.server.allowed_hosts.is_empty() {
            return None;
        }
        // An authority is ASCII: this is never lossy.
        let host = std::str::from_utf8(host).unwrap_or_default();
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(name, _)| name),
        };
        if self.server.allows_host(name) {
            return None;
        }
        Some(Response::json_error(
            StatusCode::BAD_REQUEST,
            "this server does not answer that Host",
        ))
    }
}
