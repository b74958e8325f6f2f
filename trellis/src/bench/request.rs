//! One kind of request a run sends, its method, target, headers and body,
//! any of which may draw values ([`Template`]); and the same written out as
//! HTTP/1.1 bytes, once when it draws nothing, else for every request.

use std::io::Write;

use bytes::Bytes;

use super::random::Random;
use super::template::Template;

/// A request as a scenario or the command line describes it.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// What the report calls it.
    pub name: String,
    /// Upper case, as sent.
    pub method: String,
    /// The path and query.
    pub target: Template,
    pub headers: Vec<(String, Template)>,
    pub body: Template,
    /// How often it is sent, against the other requests' weights.
    pub weight: u64,
}

impl RequestSpec {
    /// Refuses what could not be sent as one well-formed request: a method
    /// or header name that is no token, a target not starting with `/` or
    /// holding whitespace, a header value with a line break.
    pub fn check(&self) -> Result<(), String> {
        let what = &self.name;
        if !is_token(&self.method) {
            return Err(format!("{what}: {:?} is not an HTTP method", self.method));
        }
        let target = self.target.source();
        if !target.starts_with('/') {
            return Err(format!("{what}: the path {target:?} must start with /"));
        }
        if self
            .target
            .may_contain(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "{what}: the path {target:?} may hold whitespace; percent-encode it (%20)"
            ));
        }
        if self.weight == 0 {
            return Err(format!(
                "{what}: a weight is at least 1 (leave the request out to send none)"
            ));
        }
        for (name, value) in &self.headers {
            if !is_token(name) {
                return Err(format!("{what}: {name:?} is not a header name"));
            }
            if value.may_contain(|c| c.is_control() && c != '\t') {
                return Err(format!(
                    "{what}: the header {name} may hold a line break or control character"
                ));
            }
        }
        Ok(())
    }
}

/// HTTP's `token`: what a method or a header name is made of.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A request ready to send to one host.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    head_only: bool,
    wire: Wire,
}

#[derive(Debug, Clone)]
enum Wire {
    /// It draws nothing: the same bytes every time.
    Fixed(Bytes),
    /// Written afresh for every request.
    Drawn { spec: RequestSpec, host: String },
}

/// Buffers a connection reuses to write requests that draw values.
#[derive(Debug, Default)]
pub struct Scratch {
    request: Vec<u8>,
    body: Vec<u8>,
}

impl PreparedRequest {
    /// `spec` for `host` (`name:port`, the `Host` header). `spec` must
    /// have passed [`RequestSpec::check`].
    pub fn new(spec: &RequestSpec, host: &str) -> PreparedRequest {
        let draws = spec.target.as_literal().is_none()
            || spec.body.as_literal().is_none()
            || spec.headers.iter().any(|(_, v)| v.as_literal().is_none());
        let wire = match draws {
            true => Wire::Drawn {
                spec: spec.clone(),
                host: host.to_string(),
            },
            false => {
                let mut scratch = Scratch::default();
                // Nothing is drawn, so any stream will do.
                write_request(spec, host, &mut Random::new(0), &mut scratch);
                Wire::Fixed(Bytes::from(scratch.request))
            }
        };
        PreparedRequest {
            head_only: spec.method == "HEAD",
            wire,
        }
    }

    /// A HEAD: its response has no body, whatever its length says.
    pub fn head_only(&self) -> bool {
        self.head_only
    }

    /// The bytes of one request: the fixed ones, or a fresh rendering
    /// written into `scratch`.
    pub fn render<'a>(&'a self, random: &mut Random, scratch: &'a mut Scratch) -> &'a [u8] {
        match &self.wire {
            Wire::Fixed(bytes) => bytes,
            Wire::Drawn { spec, host } => {
                write_request(spec, host, random, scratch);
                &scratch.request
            }
        }
    }
}

fn write_request(spec: &RequestSpec, host: &str, random: &mut Random, scratch: &mut Scratch) {
    let Scratch { request, body } = scratch;
    request.clear();
    body.clear();
    spec.body.render(random, body);
    request.extend_from_slice(spec.method.as_bytes());
    request.push(b' ');
    spec.target.render(random, request);
    request.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    request.extend_from_slice(host.as_bytes());
    request.extend_from_slice(b"\r\n");
    for (name, value) in &spec.headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        value.render(random, request);
        request.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || matches!(spec.method.as_str(), "POST" | "PUT" | "PATCH") {
        // Writing to a Vec cannot fail.
        let _ = write!(request, "Content-Length: {}\r\n", body.len());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::template::Values;

    fn spec(method: &str, target: &str, body: &str) -> RequestSpec {
        RequestSpec {
            name: format!("{method} {target}"),
            method: method.to_string(),
            target: Template::parse(target, &Values::new()).unwrap(),
            headers: vec![(
                "content-type".to_string(),
                Template::literal("application/json"),
            )],
            body: Template::parse(body, &Values::new()).unwrap(),
            weight: 1,
        }
    }

    fn text(request: &PreparedRequest, seed: u64) -> String {
        let mut scratch = Scratch::default();
        let bytes = request.render(&mut Random::new(seed), &mut scratch);
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn a_request_that_draws_nothing_is_written_once_with_its_length() {
        let request = PreparedRequest::new(&spec("POST", "/items", r#"{"qty":2}"#), "h:80");
        assert!(matches!(request.wire, Wire::Fixed(_)));
        assert_eq!(
            text(&request, 1),
            "POST /items HTTP/1.1\r\nHost: h:80\r\ncontent-type: application/json\r\n\
             Content-Length: 9\r\n\r\n{\"qty\":2}"
        );
    }

    #[test]
    fn a_drawn_body_gets_the_length_of_what_was_drawn() {
        let request = PreparedRequest::new(&spec("POST", "/items", "{1..100000}"), "h:80");
        for seed in 0..20 {
            let written = text(&request, seed);
            let (head, body) = written.split_once("\r\n\r\n").unwrap();
            assert!(
                head.ends_with(&format!("Content-Length: {}", body.len())),
                "{written}"
            );
        }
    }

    #[test]
    fn requests_that_could_not_be_sent_are_refused() {
        assert!(spec("GET", "/ok", "").check().is_ok());
        assert!(spec("GE T", "/ok", "").check().is_err());
        assert!(spec("GET", "no-slash", "").check().is_err());
        assert!(spec("GET", "/a b", "").check().is_err());
        let mut weightless = spec("GET", "/ok", "");
        weightless.weight = 0;
        assert!(weightless.check().is_err());
        let mut split = spec("GET", "/ok", "");
        split.headers = vec![("x-a".to_string(), Template::literal("1\r\nx-b: 2"))];
        assert!(split.check().is_err());
    }
}
