//! What one request came to, as far as a report cares: how the server's
//! cache answered it, or why it got no answer at all.

/// How the server's cache answered, from `Cache-Status` (RFC 9211).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    Hit,
    Stale,
    Miss,
    Bypass,
    None,
}

impl CacheKind {
    pub const ALL: [CacheKind; 5] = [
        CacheKind::Hit,
        CacheKind::Stale,
        CacheKind::Miss,
        CacheKind::Bypass,
        CacheKind::None,
    ];

    pub fn of(value: &[u8]) -> CacheKind {
        let has = |needle: &[u8]| value.windows(needle.len()).any(|w| w == needle);
        if has(b"fwd=bypass") {
            CacheKind::Bypass
        } else if has(b"fwd=") {
            CacheKind::Miss
        } else if has(b"ttl=-") {
            CacheKind::Stale
        } else if has(b"hit") {
            CacheKind::Hit
        } else {
            CacheKind::None
        }
    }

    /// Its key in the reports.
    pub fn name(self) -> &'static str {
        match self {
            CacheKind::Hit => "hit",
            CacheKind::Stale => "stale",
            CacheKind::Miss => "miss",
            CacheKind::Bypass => "bypass",
            CacheKind::None => "none",
        }
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Connect,
    Write,
    Read,
    Closed,
    Parse,
    Timeout,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::Connect,
        ErrorKind::Write,
        ErrorKind::Read,
        ErrorKind::Closed,
        ErrorKind::Parse,
        ErrorKind::Timeout,
    ];

    /// Its key in the reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Write => "write",
            ErrorKind::Read => "read",
            ErrorKind::Closed => "closed",
            ErrorKind::Parse => "parse",
            ErrorKind::Timeout => "timeout",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_status_values_are_told_apart() {
        let cases: [(&[u8], CacheKind); 6] = [
            (b"trellis; hit", CacheKind::Hit),
            (b"trellis; hit; ttl=-3", CacheKind::Stale),
            (b"trellis; fwd=miss; stored", CacheKind::Miss),
            (b"trellis; fwd=stale; stored", CacheKind::Miss),
            (b"trellis; fwd=bypass", CacheKind::Bypass),
            (b"", CacheKind::None),
        ];
        for (value, kind) in cases {
            assert_eq!(
                CacheKind::of(value),
                kind,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }
}
