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

    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allows_any_origin() || self.allowed_origins.iter().any(|o| o == origin)
    }
}
