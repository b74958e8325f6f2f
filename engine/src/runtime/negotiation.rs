//! `Accept-Encoding` (RFC 9110, 12.5.3): which coding the client takes, by
//! its q-values, among those the engine makes.

use actix_web::http::header::HeaderValue;

use crate::runtime::compression::Coding;

/// The q-values, in thousandths, a request gave the codings the engine
/// makes; `identity` when it named it. Parsed once per request, only when
/// the header is there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AcceptEncoding {
    gzip: u16,
    br: u16,
    identity: Option<u16>,
}

impl AcceptEncoding {
    /// Reads the header: `gzip, br`, `br;q=1.0, gzip;q=0.8, *;q=0.1`. An
    /// item with a malformed q-value is ignored; `*` covers the codings not
    /// named. Read as bytes in one pass, with no allocation: every
    /// browser's request has the header, cached hits included.
    pub(crate) fn parse(value: &HeaderValue) -> Self {
        let (mut gzip, mut br, mut identity, mut any) = (None, None, None, None);
        for item in value.as_bytes().split(|&b| b == b',') {
            let (coding, params) = split_at_byte(item, b';');
            let coding = coding.trim_ascii();
            let q = match params {
                None => Some(1000),
                Some(params) => params
                    .split(|&b| b == b';')
                    .find_map(|param| {
                        let (name, value) = split_at_byte(param, b'=');
                        let value = value?;
                        name.trim_ascii()
                            .eq_ignore_ascii_case(b"q")
                            .then(|| parse_q(value.trim_ascii()))
                    })
                    .unwrap_or(Some(1000)),
            };
            let Some(q) = q else { continue };
            if coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip") {
                gzip = Some(q);
            } else if coding.eq_ignore_ascii_case(b"br") {
                br = Some(q);
            } else if coding.eq_ignore_ascii_case(b"identity") {
                identity = Some(q);
            } else if coding == b"*" {
                any = Some(q);
            }
        }
        AcceptEncoding {
            gzip: gzip.or(any).unwrap_or(0),
            br: br.or(any).unwrap_or(0),
            identity,
        }
    }

    /// The coding to send among those at hand (`gzip`, `br`): the one the
    /// client ranks highest, brotli on a tie (it is smaller), none when the
    /// client ranks the body as it is higher than either.
    pub(crate) fn choose(self, gzip: bool, br: bool) -> Option<Coding> {
        let gzip = if gzip { self.gzip } else { 0 };
        let br = if br { self.br } else { 0 };
        let best = gzip.max(br);
        if best == 0 || best < self.identity.unwrap_or(0) {
            return None;
        }
        Some(if br >= gzip { Coding::Br } else { Coding::Gzip })
    }
}

/// The bytes before the first `separator`, and those after it if any.
fn split_at_byte(bytes: &[u8], separator: u8) -> (&[u8], Option<&[u8]>) {
    match bytes.iter().position(|&b| b == separator) {
        Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
        None => (bytes, None),
    }
}

/// `1`, `0.8`, `0.125`, `1.000` as thousandths; `None` past 1 or malformed.
fn parse_q(value: &[u8]) -> Option<u16> {
    let (whole, fraction) = split_at_byte(value, b'.');
    let fraction = fraction.unwrap_or_default();
    if fraction.len() > 3 || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let thousandths = (0..3).fold(0u16, |sum, at| {
        sum * 10 + fraction.get(at).map_or(0, |digit| u16::from(digit - b'0'))
    });
    match whole {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(header: &'static str) -> Option<Coding> {
        AcceptEncoding::parse(&HeaderValue::from_static(header)).choose(true, true)
    }

    #[test]
    fn q_values_choose_the_coding_and_brotli_wins_a_tie() {
        assert_eq!(choose("gzip, deflate, br"), Some(Coding::Br));
        assert_eq!(choose("gzip"), Some(Coding::Gzip));
        assert_eq!(choose("br;q=0.5, gzip;q=0.8"), Some(Coding::Gzip));
        assert_eq!(choose("gzip;q=0, br;q=0"), None);
        assert_eq!(choose("*"), Some(Coding::Br));
        assert_eq!(choose("br;q=0, *;q=0.3"), Some(Coding::Gzip));
        assert_eq!(choose("identity"), None);
        assert_eq!(
            choose("gzip;q=0.5, identity"),
            None,
            "identity ranked higher"
        );
        assert_eq!(choose("gzip;q=nonsense"), None);
        assert_eq!(choose("GZIP;Q=1.0"), Some(Coding::Gzip));
        assert_eq!(
            choose("gzip;q=, br;q=0.5"),
            Some(Coding::Br),
            "an empty q-value"
        );
        assert_eq!(choose(" gzip ; q = 0.5 ,br;level=1"), Some(Coding::Br));
        assert_eq!(choose("gzip;q=1."), Some(Coding::Gzip));
    }

    #[test]
    fn only_codings_at_hand_are_chosen() {
        let accept = AcceptEncoding::parse(&HeaderValue::from_static("br, gzip;q=0.5"));
        assert_eq!(accept.choose(true, false), Some(Coding::Gzip));
        assert_eq!(accept.choose(false, false), None);
    }

    #[test]
    fn q_values_read_up_to_three_decimals() {
        assert_eq!(parse_q(b"1"), Some(1000));
        assert_eq!(parse_q(b"0.8"), Some(800));
        assert_eq!(parse_q(b"0.125"), Some(125));
        assert_eq!(parse_q(b"1.000"), Some(1000));
        assert_eq!(parse_q(b"1.5"), None);
        assert_eq!(parse_q(b"0.1234"), None);
        assert_eq!(parse_q(b"-1"), None);
    }
}
