//! `trellis.toml`: the whole configuration, read from the file (optional),
//! then overridden by `TRELLIS_*` environment variables.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::rules::{HeaderRule, RedirectRule, RouteOverride};
use crate::server::{AdminConfig, CacheConfig, LimitsConfig, ServerConfig};
use crate::{ConfigError, CorsPolicy};

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
    /// The CORS policy of every route that sets none of its own.
    pub cors: Option<CorsPolicy>,
    pub routes: Vec<RouteOverride>,
    pub headers: Vec<HeaderRule>,
    pub redirects: Vec<RedirectRule>,
}

/// Positions of patterns, read in a second pass that keeps spans.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PatternLines {
    routes: Vec<LocatedPattern>,
    headers: Vec<LocatedSource>,
    redirects: Vec<LocatedSource>,
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
                    error: error.to_string(),
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
        Ok(config)
    }

    /// Checks what the types alone cannot, as start-up and `trellis
    /// check-config` both do: CORS policies that would harm the visitors.
    /// Route files' own policies are checked with their routes.
    pub fn validate(&self) -> Result<(), ConfigError> {
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
    /// the wrong type is an error naming the variable.
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
            let section = table
                .entry(section)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(section) = section {
                section.insert(field.to_string(), scalar(value));
            }
            let lines = self.pattern_lines();
            *self =
                toml::Value::Table(table.clone())
                    .try_into()
                    .map_err(|e: toml::de::Error| ConfigError::Env {
                        variable: variable.clone(),
                        error: e.message().to_string(),
                    })?;
            self.restore_lines(lines);
        }
        Ok(())
    }

    fn pattern_lines(&self) -> [Vec<Option<usize>>; 3] {
        [
            self.routes.iter().map(|r| r.line).collect(),
            self.headers.iter().map(|r| r.line).collect(),
            self.redirects.iter().map(|r| r.line).collect(),
        ]
    }

    fn restore_lines(&mut self, [routes, headers, redirects]: [Vec<Option<usize>>; 3]) {
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
    }
}

/// The sections whose keys the environment may set.
const ENV_SECTIONS: [&str; 4] = ["server", "limits", "cache", "admin"];

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

/// toml's message with the line number first, the way editors link it.
fn describe(error: &toml::de::Error, text: &str) -> String {
    match error.span() {
        Some(span) => {
            // The whole line, so that a bad value is shown with its key.
            let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
            let end = text[span.start..]
                .find('\n')
                .map_or(text.len(), |i| span.start + i);
            let line = text[start..end].trim();
            format!(
                "line {}: `{line}`: {}",
                line_at(text, span.start),
                error.message()
            )
        }
        None => error.message().to_string(),
    }
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
"#;
        let config = Config::parse(text).unwrap();
        assert_eq!(config.server.port, 8080);
        assert_eq!(config.limits.body_bytes, 100);
        assert_eq!(config.routes[0].revalidate, Some(10));
        assert_eq!(config.routes[0].line, Some(10));
        assert_eq!(config.redirects[0].line, Some(15));
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
        assert_eq!(Config::parse(listed).unwrap().validate(), Ok(()));
        assert_eq!(Config::default().validate(), Ok(()));
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
