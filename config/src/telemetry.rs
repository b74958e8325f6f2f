//! `[telemetry]`: where request spans go beside the log. Exporting needs
//! Trellis built with the `otel` feature; the section is read either way,
//! so that a file stays valid whatever the build.

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// `[telemetry]`: OpenTelemetry export of request spans, over OTLP/HTTP
/// (protobuf).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// The collector's OTLP/HTTP address, such as `http://127.0.0.1:4318`;
    /// spans are posted to `/v1/traces` below it. None: no export.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans.
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            otlp_endpoint: None,
            service_name: "trellis".to_string(),
        }
    }
}

impl TelemetryConfig {
    /// Where spans are posted: the endpoint with `/v1/traces`, as the OTLP
    /// specification names the traces path.
    ///
    /// ```
    /// use trellis_config::TelemetryConfig;
    ///
    /// let mut telemetry = TelemetryConfig::default();
    /// assert_eq!(telemetry.traces_url(), None);
    /// telemetry.otlp_endpoint = Some("http://127.0.0.1:4318/".into());
    /// assert_eq!(telemetry.traces_url().as_deref(), Some("http://127.0.0.1:4318/v1/traces"));
    /// ```
    pub fn traces_url(&self) -> Option<String> {
        let endpoint = self.otlp_endpoint.as_deref()?.trim_end_matches('/');
        Some(match endpoint.ends_with("/v1/traces") {
            true => endpoint.to_string(),
            false => format!("{endpoint}/v1/traces"),
        })
    }

    /// An endpoint must be an `http://` or `https://` URL.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.otlp_endpoint {
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                Err(ConfigError::NotAccepted {
                    key: "telemetry.otlp_endpoint",
                    value: url.clone(),
                    accepted: "an http:// or https:// URL, such as `http://127.0.0.1:4318`",
                })
            }
            _ => Ok(()),
        }
    }
}
