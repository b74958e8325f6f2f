//! `trellis.toml`: the whole configuration, read from the file (optional),
//! then overridden by `TRELLIS_*` environment variables.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::redact::{is_secret_key, scrub_secret, REDACTED};
use crate::routing::RoutingConfig;
use crate::rules::{HeaderRule, RedirectRule, RewriteRule, RouteOverride};
use crate::server::{AdminConfig, CacheConfig, LimitsConfig, ServerConfig};
use crate::{ConfigError, CorsPolicy, TelemetryConfig};

/// The file looked for in the working folder when no `--config` is given.
pub const DEFAULT_FILE: &str = "trellis.toml";

/// Everything `trellis.toml` holds. Every section and key is optional; the
/// defaults serve the demo.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub limits: LimitsConfig,
    pub cache: CacheConfig,
    pub admin: AdminConfig,
    pub telemetry: TelemetryConfig,
    pub routing: RoutingConfig,
    /// The CORS policy of every route that sets none of its own.
    pub cors: Option<CorsPolicy>,
    pub routes: Vec<RouteOverride>,
    pub headers: Vec<HeaderRule>,
    pub redirects: Vec<RedirectRule>,
    pub rewrites: Vec<RewriteRule>,
}

/// Positions of patterns, read in a second pass that keeps spans.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PatternLines {
    routes: Vec<LocatedPattern>,
    headers: Vec<LocatedSource>,
    redirects: Vec<LocatedSource>,
    rewrites: Vec<LocatedSource>,
}

#[derive(Deserialize)]
struct LocatedPattern {
    pattern: toml::Spanned<String>,
}

#[derive(Deserialize)]
struct LocatedSource {
    source: toml::Spanned<String>,
}

impl Config {
    /// Reads `path`, or `trellis.toml` in the working folder if there is one,
    /// or the defaults; then applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let file = match path {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.is_file()),
        };
        let mut config = match &file {
            Some(file) => {
                let text = std::fs::read_to_string(file).map_err(|error| ConfigError::Read {
                    file: file.display().to_string(),
                    error,
                })?;
                Config::parse(&text).map_err(|error| error.in_file(file))?
            }
            None => Config::default(),
        };
        config.apply_env(std::env::vars())?;
        Ok(config)
    }

    /// Parses the text of a config file. Errors name the key and the line.
    ///
    /// ```
    /// use trellis_config::Config;
    ///
    /// let config = Config::parse("[server]\nport = 8080\n").unwrap();
    /// assert_eq!(config.server.port, 8080);
    /// let err = Config::parse("[server]\nprot = 8080\n").unwrap_err().to_string();
    /// assert!(err.contains("line 2") && err.contains("prot"), "{err}");
    /// ```
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Toml(describe(&e, text)))?;
        let lines: PatternLines = toml::from_str(text).unwrap_or_default();
        for (rule, located) in config.routes.iter_mut().zip(&lines.routes) {
            rule.line = Some(line_at(text, located.pattern.span().start));
        }
        for (rule, located) in config.headers.iter_mut().zip(&lines.headers) {
            rule.line = Some(line_at(text, located.source.span().start));
        }
        for (rule, located) in config.redirects.iter_mut().zip(&lines.redirects) {
            rule.line = Some(line_at(text, located.source.span().start));
        }
        for (rule, located) in config.rewrites.iter_mut().zip(&lines.rewrites) {
            rule.line = Some(line_at(text, located.source.span().start));
        }
        Ok(config)
    }

    /// Checks what the types alone cannot, as start-up and `trellis
    /// check-config` both do: an empty admin token, cache profiles that
    /// cannot be used, CORS policies that would harm the visitors, a base
    /// path that is no path. Route files' own policies are checked with
    /// their routes; path rules, when they are compiled.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.admin.validate()?;
        self.cache.validate()?;
        self.telemetry.validate()?;
        self.routing.checked_base_path()?;
        if let Some(problem) = self.cors.as_ref().and_then(CorsPolicy::problem) {
            return Err(ConfigError::Invalid {
                key: "cors".to_string(),
                problem: problem.to_string(),
            });
        }
        for rule in &self.routes {
            if let Some(problem) = rule.cors.as_ref().and_then(CorsPolicy::problem) {
                return Err(ConfigError::Rule {
                    key: "routes.cors".to_string(),
                    line: rule.line.unwrap_or(0),
                    problem: problem.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Applies `TRELLIS_SECTION__KEY=value` (and the short `TRELLIS_HOST`,
    /// `TRELLIS_PORT`, `TRELLIS_WORKERS`, `TRELLIS_CACHE_STORE`) over the file's values. A value of
    /// the wrong type is an error naming the variable. A value that reads
    /// as a number or boolean is still taken as text where the key wants
    /// text (`TRELLIS_ADMIN__TOKEN=123456`).
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        let overrides: Vec<(String, String, String)> = vars
            .into_iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix("TRELLIS_")?.to_ascii_lowercase();
                let (section, field) = match key.split_once("__") {
                    Some((section, field)) => (section.to_string(), field.to_string()),
                    None if ["host", "port", "workers"].contains(&key.as_str()) => {
                        ("server".to_string(), key)
                    }
                    None if key == "cache_store" => ("cache".to_string(), "store".to_string()),
                    None => return None,
                };
                Some((name, format!("{section}.{field}"), value))
            })
            .filter(|(_, path, _)| {
                ENV_SECTIONS
                    .iter()
                    .any(|s| path.starts_with(&format!("{s}.")))
            })
            .collect();
        if overrides.is_empty() {
            return Ok(());
        }
        let mut table =
            toml::Table::try_from(&*self).map_err(|e| ConfigError::Toml(e.to_string()))?;
        for (variable, path, value) in &overrides {
            let (section, field) = path.split_once('.').unwrap_or_default();
            let typed = scalar(value);
            let is_text = matches!(typed, toml::Value::String(_));
            let as_text = || toml::Value::String(value.clone());
            let config = with_value(&mut table, section, field, typed)
                .or_else(|first| match is_text {
                    true => Err(first),
                    false => with_value(&mut table, section, field, as_text()).map_err(|_| first),
                })
                .map_err(|e| {
                    let mut error = e.message().to_string();
                    if is_secret_key(path) {
                        error = scrub_secret(&hide_quoted(&error), value);
                    }
                    ConfigError::Env {
                        variable: variable.clone(),
                        error,
                    }
                })?;
            let lines = self.pattern_lines();
            *self = config;
            self.restore_lines(lines);
        }
        Ok(())
    }

    fn pattern_lines(&self) -> [Vec<Option<usize>>; 4] {
        [
            self.routes.iter().map(|r| r.line).collect(),
            self.headers.iter().map(|r| r.line).collect(),
            self.redirects.iter().map(|r| r.line).collect(),
            self.rewrites.iter().map(|r| r.line).collect(),
        ]
    }

    fn restore_lines(&mut self, [routes, headers, redirects, rewrites]: [Vec<Option<usize>>; 4]) {
        self.routes
            .iter_mut()
            .zip(routes)
            .for_each(|(r, l)| r.line = l);
        self.headers
            .iter_mut()
            .zip(headers)
            .for_each(|(r, l)| r.line = l);
        self.redirects
            .iter_mut()
            .zip(redirects)
            .for_each(|(r, l)| r.line = l);
        self.rewrites
            .iter_mut()
            .zip(rewrites)
            .for_each(|(r, l)| r.line = l);
    }
}

/// `table` with `section.field` set to `value`, read back as a config.
fn with_value(
    table: &mut toml::Table,
    section: &str,
    field: &str,
    value: toml::Value,
) -> Result<Config, toml::de::Error> {
    let entry = table
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(entry) = entry {
        entry.insert(field.to_string(), value);
    }
    toml::Value::Table(table.clone()).try_into()
}

/// The sections whose keys the environment may set.
const ENV_SECTIONS: [&str; 6] = ["server", "limits", "cache", "admin", "telemetry", "routing"];

/// An environment value as TOML: a number or boolean when it reads as one.
fn scalar(value: &str) -> toml::Value {
    if let Ok(n) = value.parse::<i64>() {
        return toml::Value::Integer(n);
    }
    match value {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(value.to_string()),
    }
}

/// The line and the key of a TOML error, then toml's message. Never the
/// text of the line, which toml itself shows: it may hold a token or a
/// password. For a secret key, whatever the message quotes (the value) is
/// hidden too.
fn describe(error: &toml::de::Error, text: &str) -> String {
    let Some(span) = error.span() else {
        return error.message().to_string();
    };
    let line = line_at(text, span.start);
    match key_at(text, span.start) {
        Some(key) if is_secret_key(&key) => {
            format!("line {line}: `{key}`: {}", hide_quoted(error.message()))
        }
        Some(key) => format!("line {line}: `{key}`: {}", error.message()),
        None => format!("line {line}: {}", error.message()),
    }
}

/// The dotted key of the line holding byte `offset` (`cache.tick_ms`): the
/// key before its `=` under the last table header above it, or the header
/// itself on a header line. `None` within a value that spans lines.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let end = text
        .get(offset..)?
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    let line = text.get(start..end)?.trim();
    if line.starts_with('[') {
        return header_name(line);
    }
    let key = line.split_once('=')?.0.trim();
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .and_then(header_name);
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_string(),
    })
}

/// `routes` from `[[routes]]`, `cache` from `[cache] # comment`.
fn header_name(line: &str) -> Option<String> {
    let name = line.trim_start_matches('[').split(']').next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// `message` with what it quotes (`...` or "...", where toml and serde put
/// values) hidden; an unclosed quote hides the rest.
fn hide_quoted(message: &str) -> String {
    let mut hidden = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    let mut escaped = false;
    for c in message.chars() {
        match open {
            None => {
                hidden.push(c);
                if c == '`' || c == '"' {
                    open = Some(c);
                }
            }
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(quote) if c == quote => {
                hidden.push_str(REDACTED);
                hidden.push(c);
                open = None;
            }
            Some(_) => {}
        }
    }
    if open.is_some() {
        hidden.push_str(REDACTED);
    }
    hidden
}

/// The 1-based line of byte `offset`.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_parses_and_patterns_keep_their_lines() {
        let text = r#"
[server]
port = 8080
shutdown_grace_secs = 5

[limits]
body_bytes = 100

[[routes]]
pattern = "/posts"
revalidate = 10
headers = { "x-frame-options" = "DENY" }

[[redirects]]
source = "/old/[slug]"
destination = "/new/[slug]"
permanent = true

[[rewrites]]
source = "/ext/:path*"
destination = "https://api.example/:path*"
phase = "beforeFiles"
has = [{ type = "header", key = "x-ext" }]

[routing]
base_path = "/docs"
trailing_slash = true
"#;
        let config = Config::parse(text).unwrap();
        assert_eq!(config.server.port, 8080);
        assert_eq!(config.limits.body_bytes, 100);
        assert_eq!(config.routes[0].revalidate, Some(10));
        assert_eq!(config.routes[0].line, Some(10));
        assert_eq!(config.redirects[0].line, Some(15));
        assert_eq!(config.rewrites[0].line, Some(20));
        assert_eq!(config.rewrites[0].phase, crate::Phase::BeforeFiles);
        assert_eq!(config.rewrites[0].has[0].kind, crate::ConditionKind::Header);
        assert_eq!(config.routing.checked_base_path().ok(), Some(Some("/docs")));
        assert!(config.routing.trailing_slash);
    }

    #[test]
    fn an_unknown_phase_or_condition_type_lists_the_accepted_ones() {
        let text = "[[rewrites]]\nsource = \"/a\"\ndestination = \"/b\"\nphase = \"later\"\n";
        let err = Config::parse(text).unwrap_err().to_string();
        assert!(
            err.contains("beforeFiles") && err.contains("fallback"),
            "{err}"
        );
        let text = "[[headers]]\nsource = \"/a\"\nheaders = {}\nhas = [{ type = \"ip\" }]\n";
        let err = Config::parse(text).unwrap_err().to_string();
        assert!(
            err.contains("header") && err.contains("cookie") && err.contains("host"),
            "{err}"
        );
    }

    #[test]
    fn a_redirect_says_its_status_one_way() {
        let status = |text: &str| Config::parse(text).unwrap().redirects[0].status();
        let rule = "[[redirects]]\nsource = \"/a\"\ndestination = \"/b\"\n";
        assert_eq!(status(&format!("{rule}permanent = true\n")), Ok(308));
        assert_eq!(status(&format!("{rule}permanent = false\n")), Ok(307));
        assert_eq!(status(&format!("{rule}status_code = 301\n")), Ok(301));
        assert!(status(&format!("{rule}status_code = 200\n")).is_err());
        assert!(status(rule).is_err());
        assert!(status(&format!("{rule}permanent = true\nstatus_code = 301\n")).is_err());
    }

    #[test]
    fn a_wrong_type_names_the_key_and_line() {
        let err = Config::parse("[cache]\ntick_ms = \"fast\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("line 2:") && err.contains("tick_ms"),
            "{err}"
        );
        let err = Config::parse("[nonsense]\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("nonsense"), "{err}");
    }

    #[test]
    fn a_toml_error_names_the_line_and_key_but_never_shows_a_secret() {
        let err = Config::parse("[admin]\ntoken = 12345678\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 2: `admin.token`:"), "{err}");
        assert!(!err.contains("12345678"), "{err}");
        let err = Config::parse("[admin]\nmetrics = true\ntoken = \"s3cr3t-t0k3n\" and more\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 3"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
        let text = "[cache]\nstore = \"redis://u:hunter2@cache/0\"\nbudget_bytes = \"lots\"\n";
        let err = Config::parse(text).unwrap_err().to_string();
        assert!(err.starts_with("line 3: `cache.budget_bytes`:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("\"lots\""), "other values are shown: {err}");
    }

    #[test]
    fn quoted_parts_of_a_message_are_hidden() {
        assert_eq!(
            hide_quoted("invalid type: integer `123`, expected a string"),
            "invalid type: integer `***`, expected a string"
        );
        assert_eq!(
            hide_quoted(r#"invalid type: string "a\"b", expected u64"#),
            r#"invalid type: string "***", expected u64"#
        );
        assert_eq!(hide_quoted("open `abc"), "open `***");
    }

    #[test]
    fn debug_output_hides_the_token_the_redis_password_and_the_cache_secret() {
        let mut config = Config::default();
        config.admin.token = Some("s3cr3t-t0k3n".into());
        config.cache.store = "redis://user:hunter2@cache:6379/0".into();
        config.cache.secret = Some("entry-s1gning-key".into());
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("hunter2") && !debug.contains("s1gning"),
            "{debug}"
        );
        assert!(debug.contains("redis://user:***@cache:6379/0"), "{debug}");
    }

    #[test]
    fn a_numeric_token_from_the_environment_is_taken_as_text() {
        let mut config = Config::default();
        config
            .apply_env([("TRELLIS_ADMIN__TOKEN".to_string(), "123456".to_string())])
            .unwrap();
        assert_eq!(config.admin.token.as_deref(), Some("123456"));
        let err = config
            .apply_env([("TRELLIS_ADMIN__METRICS".to_string(), "1".to_string())])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("TRELLIS_ADMIN__METRICS:") && err.contains("bool"),
            "{err}"
        );
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let mut config =
            Config::parse("[server]\nport = 8080\n[[routes]]\npattern = \"/x\"\n").unwrap();
        let vars = [
            ("TRELLIS_PORT", "9090"),
            ("TRELLIS_CACHE__TICK_MS", "0"),
            ("TRELLIS_ADMIN__TOKEN", "secret"),
            ("TRELLIS_CACHE_STORE", "redis://127.0.0.1:6379/0"),
            ("UNRELATED", "1"),
        ];
        config
            .apply_env(vars.map(|(k, v)| (k.to_string(), v.to_string())))
            .unwrap();
        assert_eq!(config.server.port, 9090);
        assert_eq!(config.cache.tick(), None);
        assert_eq!(config.admin.token.as_deref(), Some("secret"));
        assert_eq!(config.cache.redis_url(), Some("redis://127.0.0.1:6379/0"));
        assert_eq!(
            config.routes[0].line,
            Some(4),
            "lines survive the overrides"
        );
    }

    #[test]
    fn credentials_for_any_origin_are_refused_telling_to_list_the_origins() {
        let config = Config::parse("[cors]\nallow_credentials = true\n").unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("`cors`:") && err.contains("list the origins"),
            "{err}"
        );
        let text = "[[routes]]\npattern = \"/x\"\ncors = { allowed_origins = [\"*\"], allow_credentials = true }\n";
        let err = Config::parse(text)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 2: `routes.cors`"), "{err}");
        let listed =
            "[cors]\nallowed_origins = [\"https://app.example\"]\nallow_credentials = true\n";
        assert!(Config::parse(listed).unwrap().validate().is_ok());
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn an_empty_admin_token_is_refused() {
        for text in ["[admin]\ntoken = \"\"\n", "[admin]\ntoken = \"  \"\n"] {
            let err = Config::parse(text)
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("`admin.token`: is empty"), "{err}");
        }
        let set = Config::parse("[admin]\ntoken = \"0123456789abcdef\"\n").unwrap();
        assert!(set.validate().is_ok());
    }

    #[test]
    fn an_empty_cache_secret_is_refused() {
        let err = Config::parse("[cache]\nsecret = \" \"\n")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`cache.secret`: is empty"), "{err}");
        let set = Config::parse("[cache]\nsecret = \"0123456789abcdef\"\n").unwrap();
        assert!(set.validate().is_ok());
    }

    #[test]
    fn cache_profiles_parse_and_one_that_cannot_be_used_is_refused() {
        let text = "[cache.profiles.blog]\nstale = 3600\nrevalidate = 900\nexpire = 86400\n";
        let mut config = Config::parse(text).unwrap();
        let blog = crate::CacheLife::default()
            .with_stale(3600)
            .with_revalidate(900)
            .with_expire(86_400);
        assert_eq!(config.cache.profile("blog"), Some(blog));
        assert!(config.validate().is_ok());
        config
            .apply_env([("TRELLIS_CACHE__TICK_MS".to_string(), "0".to_string())])
            .unwrap();
        assert_eq!(
            config.cache.profile("blog"),
            Some(blog),
            "kept by overrides"
        );
        let short = "[cache.profiles.blog]\nrevalidate = 900\nexpire = 60\n";
        let err = Config::parse(short)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`cache.profiles.blog`: `expire`"), "{err}");
        let err = Config::parse("[cache.profiles.blog]\nrevalidat = 900\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("revalidat"), "{err}");
    }

    #[test]
    fn a_wrong_environment_value_names_the_variable() {
        let mut config = Config::default();
        let err = config
            .apply_env([("TRELLIS_SERVER__PORT".to_string(), "many".to_string())])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("TRELLIS_SERVER__PORT:"), "{err}");
        let err = config
            .apply_env([("TRELLIS_SERVER__PROT".to_string(), "1".to_string())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("prot"), "{err}");
    }
}
