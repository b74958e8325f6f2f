//! What this build speaks to other servers. `trellis::fetch` and rewrites
//! to another server reach `https://` URLs with the `tls` feature (rustls
//! over ring: 13 crates, about 20 s of CPU in a new app's first build,
//! and a C compiler at build time); plain `http://` ones either way. A
//! build without it refuses an https URL, naming the feature, rather than
//! failing somewhere inside the client: a rewrite's destination at
//! start-up and in `check-config`, a fetch or a proxy's rewrite when it is
//! made.

/// Why a build without the `tls` feature cannot reach an https URL.
#[cfg_attr(feature = "tls", allow(dead_code))]
pub(crate) const NO_TLS: &str = "https needs the `tls` feature of trellis \
    (`trellis = { .., features = [\"tls\"] }`; `--features tls` for the demo): \
    this build speaks plain http only";

/// Why a URL with `scheme` cannot be reached by this build, if it cannot.
pub(crate) fn refusal(scheme: &str) -> Option<&'static str> {
    #[cfg(not(feature = "tls"))]
    if scheme.eq_ignore_ascii_case("https") {
        return Some(NO_TLS);
    }
    let _ = scheme;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_reached_by_every_build() {
        assert_eq!(refusal("http"), None);
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_is_refused_by_a_build_without_the_tls_feature_naming_it() {
        let why = refusal("https").expect("refused");
        assert!(why.contains("`tls` feature"), "{why}");
        assert_eq!(refusal("HTTPS"), Some(why));
    }

    #[cfg(feature = "tls")]
    #[test]
    fn https_is_reached_with_the_tls_feature() {
        assert_eq!(refusal("https"), None);
    }
}
