//! Property tests: the parsers that read what clients send never panic,
//! whatever bytes they are given.

use bytes::Bytes;
use proptest::prelude::*;
use trellis_engine::{FormData, RequestCookies, SearchParams};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_query_parser_never_panics(query in any::<String>()) {
        let params = SearchParams::parse(&query);
        for (key, _) in params.iter() {
            prop_assert!(params.has(key));
        }
    }

    #[test]
    fn the_cookie_parser_never_panics(header in any::<String>()) {
        let cookies = RequestCookies::parse(&header);
        for (name, value) in cookies.iter() {
            prop_assert_eq!(cookies.get(name), Some(value));
        }
    }

    #[test]
    fn the_urlencoded_form_parser_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = FormData::parse_urlencoded(&body);
    }

    #[test]
    fn the_multipart_parser_never_panics(
        boundary in "[ -~]{0,20}",
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let _ = runtime.block_on(FormData::parse_multipart(&content_type, Bytes::from(body)));
    }

    #[test]
    fn a_well_formed_multipart_body_parses_back(name in "[a-z]{1,8}", value in "[ -~]{0,40}") {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n--XyZ--\r\n"
        );
        let form = runtime
            .block_on(FormData::parse_multipart("multipart/form-data; boundary=XyZ", Bytes::from(body)))
            .unwrap();
        prop_assert_eq!(form.get_text(&name), Some(value.as_str()));
    }
}
