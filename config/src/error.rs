//! Configuration errors, each naming the key and what it accepts.

/// A configuration value Trellis cannot use. Where a source error is kept as
/// text (`Toml`, `Env`), it is because the text was scrubbed first: toml's
/// own message quotes the line, which may hold a token.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("`{key}`: `{value}` is not one of {accepted}")]
    NotAccepted {
        key: &'static str,
        value: String,
        accepted: &'static str,
    },
    #[error("{file}: {problem}")]
    InvalidSegment { file: String, problem: String },
    #[error("{0}")]
    Toml(String),
    #[error("cannot read {file}: {error}")]
    Read {
        file: String,
        #[source]
        error: std::io::Error,
    },
    #[error("{variable}: {error}")]
    Env { variable: String, error: String },
    #[error("{file}: {error}")]
    InFile {
        file: String,
        error: Box<ConfigError>,
    },
    /// A value of the right type that cannot be used: `problem` says why
    /// and what to write instead.
    #[error("`{key}`: {problem}")]
    Invalid { key: String, problem: String },
    #[error("line {line}: `{key}`: {problem}")]
    Rule {
        key: String,
        line: usize,
        problem: String,
    },
}

impl ConfigError {
    /// The same error, naming the file it is in.
    pub fn in_file(self, file: &std::path::Path) -> ConfigError {
        ConfigError::InFile {
            file: file.display().to_string(),
            error: Box::new(self),
        }
    }
}
