//! The forms a cached answer is sent in, made once per entry (once per
//! generation) and kept in it: as made, gzip and brotli where they pay,
//! each with its strong `ETag`, and the `Last-Modified` of them all.

use std::time::{Duration, SystemTime};

use actix_web::http::header::{self, HeaderName, HeaderValue, HttpDate};
use trellis_cache::{CachedResponse, Representation, Representations};

use crate::runtime::compression::{self, Coding, Effort, MIN_BYTES};
use crate::runtime::etag;

/// The forms of `response`, made `age` ago. With `compress` off, or for a
/// type not worth it, only the body as made.
pub(crate) fn make(response: &CachedResponse, compress: bool, age: Duration) -> Representations {
    let header = |name: HeaderName| {
        response
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    };
    let own_etag = header(header::ETAG).cloned();
    let compressible = compress && compression::compressible(header);
    let worth_it = compressible && response.body.len() >= MIN_BYTES;
    let compressed = |coding: Coding| {
        if !worth_it {
            return None;
        }
        let body = compression::compress(&response.body, coding, Effort::Stored);
        if body.len() >= response.body.len() {
            return None;
        }
        let etag = match &own_etag {
            Some(own) => etag::for_coding(own, coding),
            None => etag::of_bytes(&body),
        };
        Some(Representation { body, etag })
    };
    let varies_already = response.vary().contains(&header::ACCEPT_ENCODING);
    let last_modified = header(header::LAST_MODIFIED).cloned().unwrap_or_else(|| {
        let made = SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        HeaderValue::from_str(&HttpDate::from(made).to_string())
            .expect("an HTTP date is a header value: this is a bug in Trellis")
    });
    Representations {
        identity: Representation {
            body: response.body.clone(),
            etag: own_etag
                .clone()
                .unwrap_or_else(|| etag::of_bytes(&response.body)),
        },
        gzip: compressed(Coding::Gzip),
        br: compressed(Coding::Br),
        negotiated: worth_it && !varies_already,
        last_modified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use bytes::Bytes;

    fn response(content_type: &'static str, body: String) -> CachedResponse {
        CachedResponse {
            status: StatusCode::OK,
            headers: vec![(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body: Bytes::from(body),
        }
    }

    #[test]
    fn large_json_gets_smaller_forms_each_with_its_own_etag() {
        let forms = make(
            &response("application/json", "[1,2,3],".repeat(300)),
            true,
            Duration::ZERO,
        );
        let (gzip, br) = (forms.gzip.unwrap(), forms.br.unwrap());
        assert!(gzip.body.len() < forms.identity.body.len());
        assert!(br.body.len() < forms.identity.body.len());
        assert_ne!(gzip.etag, forms.identity.etag);
        assert_ne!(br.etag, gzip.etag);
        assert!(forms.negotiated);
    }

    #[test]
    fn small_bodies_images_and_a_server_without_compression_keep_one_form() {
        let small = make(
            &response("application/json", "{}".into()),
            true,
            Duration::ZERO,
        );
        // Too small to compress, so it never varies on Accept-Encoding.
        assert!(small.gzip.is_none() && small.br.is_none() && !small.negotiated);
        let png = make(
            &response("image/png", "x".repeat(5000)),
            true,
            Duration::ZERO,
        );
        assert!(png.gzip.is_none() && !png.negotiated);
        let off = make(
            &response("text/plain", "x".repeat(5000)),
            false,
            Duration::ZERO,
        );
        assert!(off.gzip.is_none() && !off.negotiated);
    }
}
