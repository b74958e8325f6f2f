//! What route files (and the proxy) see: the request, the response, the
//! context, cookies, forms, streams, errors and method semantics, `after()`,
//! the helpers (`user_agent`, `draft_mode`, `connection`), what an error
//! hook is told, the proxy's answer, context and matcher, the `Segment` and
//! `Router` builders, and the data cache's face (`fetch`, `memo`,
//! `cache_tag`, `cache_life`). Nothing here serves a request, and nothing
//! here imports the runtime or the cache.

pub(crate) mod after;
pub(crate) mod cache_profile;
pub(crate) mod connection;
pub(crate) mod context;
pub(crate) mod cookies;
pub(crate) mod data_cache;
pub(crate) mod draft_mode;
pub(crate) mod draft_token;
pub(crate) mod dynamic_reads;
pub(crate) mod entry_record;
pub(crate) mod error;
pub(crate) mod extensions;
pub(crate) mod fetch;
pub(crate) mod form;
pub(crate) mod handler;
pub(crate) mod header_error;
pub(crate) mod header_lookup;
pub(crate) mod matcher;
pub(crate) mod memo;
pub(crate) mod method;
pub(crate) mod origin;
pub(crate) mod proxy;
pub(crate) mod proxy_context;
pub(crate) mod request;
pub(crate) mod request_body;
pub(crate) mod request_error;
pub(crate) mod request_head;
pub(crate) mod response;
pub(crate) mod response_headers;
pub(crate) mod revalidator;
pub(crate) mod router;
pub(crate) mod run_scope;
pub(crate) mod segment;
pub(crate) mod signal;
pub mod stream;
pub(crate) mod tls;
pub(crate) mod upstream;
pub(crate) mod user_agent;
