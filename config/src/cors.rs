//! A CORS policy: which cross-origin requests a route answers, set by a
//! segment or for every route by the server config.

/// What browsers on other origins may do.
///
/// ```
/// use trellis_config::CorsPolicy;
///
/// let policy = CorsPolicy {
///     allowed_origins: vec!["https://app.example".into()],
///     allow_credentials: true,
///     ..CorsPolicy::default()
/// };
/// assert!(policy.allows_origin("https://app.example"));
/// assert!(!policy.allows_origin("https://evil.example"));
/// assert_eq!(policy.problem(), None);
///
/// // Credentials for any origin: refused at start-up, naming the fix.
/// let any = CorsPolicy { allow_credentials: true, ..CorsPolicy::default() };
/// assert!(any.problem().unwrap().contains("list the origins"));
/// assert!(!CorsPolicy::default().allows_origin("null"), "`*` never covers `null`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsPolicy {
    /// Origins allowed, exactly as browsers send them; `"*"` allows any.
    pub allowed_origins: Vec<String>,
    /// Methods a preflight allows; empty means the route's own methods.
    pub allowed_methods: Vec<String>,
    /// Request headers a preflight allows; empty means those asked for.
    pub allowed_headers: Vec<String>,
    /// Send `Access-Control-Allow-Credentials: true` (and never `*`).
    pub allow_credentials: bool,
    /// Seconds a browser may cache a preflight answer.
    pub max_age_secs: Option<u64>,
}

impl Default for CorsPolicy {
    /// Any origin, the route's methods, the headers asked for, no credentials.
    fn default() -> Self {
        CorsPolicy {
            allowed_origins: vec!["*".to_string()],
            allowed_methods: Vec::new(),
            allowed_headers: Vec::new(),
            allow_credentials: false,
            max_age_secs: None,
        }
    }
}

impl CorsPolicy {
    pub fn allows_any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }

    /// Whether `origin` is listed, or covered by `"*"`. The origin `null`
    /// (sandboxed frames, `file:` pages, some redirects) is anyone's to
    /// send, so `"*"` never covers it: it is allowed only when listed.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
            || (origin != "null" && self.allows_any_origin())
    }

    /// What makes the policy unusable, or `None`. Credentials with `"*"`
    /// would mean echoing every origin with `Allow-Credentials`: any site
    /// could then read answers made with its visitors' cookies.
    pub fn problem(&self) -> Option<&'static str> {
        (self.allows_any_origin() && self.allow_credentials).then_some(
            "`allow_credentials = true` with `allowed_origins` holding \"*\" (the default) \
             would let any site read answers made with its visitors' cookies: \
             list the origins instead, as in allowed_origins = [\"https://app.example\"]",
        )
    }
}
