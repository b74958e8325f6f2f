//! `[server] trusted_proxies`: the peers whose forwarding headers
//! (`Forwarded`, `X-Forwarded-*`) are believed. From any other peer those
//! headers are the client's own words and are ignored.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::ConfigError;

/// A list of CIDR ranges.
///
/// ```
/// use trellis_config::TrustedProxies;
///
/// let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
/// assert!(proxies.contains("10.1.2.3".parse().unwrap()));
/// assert!(proxies.contains("::1".parse().unwrap()));
/// assert!(!proxies.contains("127.0.0.1".parse().unwrap()));
/// assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    ranges: Vec<IpNet>,
}

impl TrustedProxies {
    /// Parses each entry as a CIDR range, or a single address.
    pub fn parse(entries: &[String]) -> Result<Self, ConfigError> {
        let ranges = entries
            .iter()
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| ConfigError::NotAccepted {
                        key: "server.trusted_proxies",
                        value: entry.clone(),
                        accepted:
                            "CIDR ranges such as `10.0.0.0/8` or `::1/128`, or single addresses",
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { ranges })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        self.ranges.iter().any(|range| range.contains(&address))
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}
