//! Any body, as URL-encoded and as multipart form data: never a panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use trellis_engine::FormData;

fuzz_target!(|body: &[u8]| {
    let _ = FormData::parse_urlencoded(body);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let content_type = "multipart/form-data; boundary=XyZ";
    let _ = runtime.block_on(FormData::parse_multipart(content_type, Bytes::copy_from_slice(body)));
});
