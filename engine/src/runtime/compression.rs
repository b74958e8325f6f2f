//! Compressing answers, as `next start` does: gzip and brotli for
//! compressible types over a threshold. Whole bodies are compressed at
//! once (a stored answer once per generation, harder; an answer made now,
//! faster); streams chunk by chunk, each chunk flushed, so that none waits
//! for the next.

use std::io::Write;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use bytes::Bytes;
use flate2::write::GzEncoder;
use futures_util::StreamExt;

use crate::api::response::{BodyStream, BoxError};

/// A content coding the engine makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Br,
}

impl Coding {
    /// As `Content-Encoding` names it.
    pub(crate) fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(self.token())
    }

    pub(crate) fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Br => "br",
        }
    }
}

/// Bodies smaller than this are sent as they are: `compression`'s default
/// threshold, which `next start` uses; below it the saving is a packet at
/// most and costs the client a decoder.
pub(crate) const MIN_BYTES: usize = 1024;

/// How hard to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effort {
    /// Compressed once, sent to everyone until the next generation.
    Stored,
    /// Compressed for one request, while it waits.
    Live,
}

impl Effort {
    fn gzip_level(self) -> u32 {
        match self {
            Effort::Stored => 6,
            Effort::Live => 4,
        }
    }

    fn brotli_quality(self) -> u32 {
        match self {
            Effort::Stored => 6,
            Effort::Live => 4,
        }
    }
}

/// Brotli's window: 4 MiB, its usual; larger gains nothing on answers.
const BROTLI_WINDOW_BITS: u32 = 22;
const BROTLI_BUFFER: usize = 4096;

/// `body` compressed with `coding`.
pub(crate) fn compress(body: &[u8], coding: Coding, effort: Effort) -> Bytes {
    let mut encoder = StreamEncoder::new(coding, effort, body.len() / 3);
    encoder.write(body);
    encoder.finish()
}

/// Whether an answer with these headers is worth compressing: a
/// compressible type, not already encoded, not marked `no-transform`.
/// `text/event-stream` never is: events must reach the client as they are
/// written, and some clients and proxies mishandle compressed ones.
pub(crate) fn compressible<'h>(header: impl Fn(HeaderName) -> Option<&'h HeaderValue>) -> bool {
    let no_transform = header(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-transform"))
        });
    header(header::CONTENT_ENCODING).is_none()
        && !no_transform
        && header(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(compressible_type)
}

/// Text, JSON, XML, JavaScript and their kin, as the `compressible`
/// package (mime-db) marks them.
fn compressible_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let ends_with = |suffix: &str| {
        subtype.len() >= suffix.len()
            && subtype[subtype.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    if subtype.eq_ignore_ascii_case("event-stream") {
        return false;
    }
    kind.eq_ignore_ascii_case("text")
        || ends_with("+json")
        || ends_with("+xml")
        || (kind.eq_ignore_ascii_case("application")
            && [
                "json",
                "javascript",
                "xml",
                "x-ndjson",
                "wasm",
                "x-www-form-urlencoded",
                "graphql",
            ]
            .iter()
            .any(|known| subtype.eq_ignore_ascii_case(known)))
}

/// `chunks` compressed with `coding`, each chunk flushed as it comes.
pub(crate) fn compress_stream(chunks: BodyStream, coding: Coding) -> BodyStream {
    let encoder = StreamEncoder::new(coding, Effort::Live, 0);
    Box::pin(futures_util::stream::unfold(
        Some((chunks, encoder)),
        |state| async move {
            let (mut chunks, mut encoder) = state?;
            match chunks.next().await {
                Some(Ok(chunk)) => {
                    encoder.write(&chunk);
                    let flushed = encoder.flush();
                    Some((Ok::<Bytes, BoxError>(flushed), Some((chunks, encoder))))
                }
                Some(Err(error)) => Some((Err(error), None)),
                None => Some((Ok(encoder.finish()), None)),
            }
        },
    ))
}

/// An encoder writing into memory.
enum StreamEncoder {
    Gzip(GzEncoder<Vec<u8>>),
    // Boxed: brotli's state is large, and one lives in each stream.
    Br(Box<brotli::CompressorWriter<Vec<u8>>>),
}

/// Writing into a `Vec` cannot fail; an error here would be the encoder's.
const IN_MEMORY: &str = "compressing into memory cannot fail: this is a bug in Trellis";

impl StreamEncoder {
    fn new(coding: Coding, effort: Effort, capacity: usize) -> Self {
        let out = Vec::with_capacity(capacity);
        match coding {
            Coding::Gzip => StreamEncoder::Gzip(GzEncoder::new(
                out,
                flate2::Compression::new(effort.gzip_level()),
            )),
            Coding::Br => StreamEncoder::Br(Box::new(brotli::CompressorWriter::new(
                out,
                BROTLI_BUFFER,
                effort.brotli_quality(),
                BROTLI_WINDOW_BITS,
            ))),
        }
    }

    fn write(&mut self, input: &[u8]) {
        match self {
            StreamEncoder::Gzip(encoder) => encoder.write_all(input),
            StreamEncoder::Br(encoder) => encoder.write_all(input),
        }
        .expect(IN_MEMORY);
    }

    /// Everything written so far, compressed and flushed so that the
    /// client can decode it now.
    fn flush(&mut self) -> Bytes {
        let out = match self {
            StreamEncoder::Gzip(encoder) => {
                encoder.flush().expect(IN_MEMORY);
                encoder.get_mut()
            }
            StreamEncoder::Br(encoder) => {
                encoder.flush().expect(IN_MEMORY);
                encoder.get_mut()
            }
        };
        Bytes::from(std::mem::take(out))
    }

    /// The rest, with the coding's trailer.
    fn finish(self) -> Bytes {
        Bytes::from(match self {
            StreamEncoder::Gzip(encoder) => encoder.finish().expect(IN_MEMORY),
            StreamEncoder::Br(encoder) => encoder.into_inner(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn text_json_and_xml_are_compressible_and_event_streams_and_images_are_not() {
        for yes in [
            "text/html; charset=utf-8",
            "application/json",
            "application/ld+json",
            "application/rss+xml",
            "image/svg+xml",
            "Text/Plain",
        ] {
            assert!(compressible_type(yes), "{yes}");
        }
        for no in [
            "text/event-stream",
            "image/png",
            "application/octet-stream",
            "nonsense",
        ] {
            assert!(!compressible_type(no), "{no}");
        }
    }

    #[test]
    fn whole_bodies_decode_to_what_was_compressed() {
        let body = "hello world ".repeat(200);
        let gzip = compress(body.as_bytes(), Coding::Gzip, Effort::Stored);
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        assert!(gzip.len() < body.len() / 10);
        let br = compress(body.as_bytes(), Coding::Br, Effort::Live);
        let mut decoded = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
    }

    #[test]
    fn each_flushed_chunk_decodes_without_the_next() {
        let mut encoder = StreamEncoder::new(Coding::Gzip, Effort::Live, 0);
        encoder.write(b"first chunk");
        let first = encoder.flush();
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        decoder.write_all(&first).unwrap();
        decoder.flush().unwrap();
        assert_eq!(decoder.get_ref().as_slice(), b"first chunk");
    }
}
