//! Configuration errors, each naming the key and what it accepts.

/// A configuration value Trellis cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("`{key}`: `{value}` is not one of {accepted}")]
    NotAccepted {
        key: &'static str,
        value: String,
        accepted: &'static str,
    },
    #[error("{file}: {problem}")]
    InvalidSegment { file: String, problem: String },
}
