//! The value of draft mode's bypass cookie: made by the runtime from its
//! secret, compared here without revealing it by timing.

use std::sync::Arc;

/// The cookie value that turns draft mode on, shared by every request.
#[derive(Debug, Clone)]
pub(crate) struct DraftToken(Arc<str>);

impl DraftToken {
    pub(crate) fn new(value: String) -> Self {
        DraftToken(Arc::from(value))
    }

    pub(crate) fn value(&self) -> &str {
        &self.0
    }

    /// Whether `offered` is the token; the time taken does not depend on
    /// where they first differ.
    pub(crate) fn matches(&self, offered: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), offered.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        let token = DraftToken::new("abc123".into());
        assert!(token.matches("abc123"));
        assert!(!token.matches("abc124") && !token.matches("abc12") && !token.matches(""));
    }
}
