//! OpenTelemetry export of the request spans (`[telemetry]`), over
//! OTLP/HTTP with protobuf bodies: a `tracing` layer that turns each
//! request's span (`GET /route`, with `http.route`, the status and the
//! cache outcome) into an OpenTelemetry span, batched to the collector on
//! a thread of the exporter's own.

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing::Subscriber;
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt as _};
use tracing_subscriber::registry::LookupSpan;
use trellis_config::TelemetryConfig;

use crate::api::tls;
use crate::runtime::server_error::ServerError;

/// The export, running; dropping it sends what is batched and stops it.
/// Start it before the async runtime and drop it after, as the exporter's
/// HTTP client blocks.
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
/// use trellis_engine::{Config, Telemetry};
///
/// let config = Config::load(None)?;
/// let telemetry = Telemetry::start(&config.telemetry)?;
/// tracing_subscriber::registry()
///     .with(telemetry.as_ref().map(Telemetry::layer))
///     .init();
/// // ... serve ...
/// drop(telemetry); // flushes the last spans
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Starts exporting when `[telemetry] otlp_endpoint` is set; `None`
    /// when it is not.
    pub fn start(config: &TelemetryConfig) -> Result<Option<Telemetry>, ServerError> {
        let Some(url) = config.traces_url() else {
            return Ok(None);
        };
        let scheme = url.split("://").next().unwrap_or_default();
        if let Some(why) = tls::refusal(scheme) {
            return Err(ServerError::Telemetry(format!(
                "telemetry.otlp_endpoint: {why}"
            )));
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(url)
            .build()
            .map_err(|error| ServerError::Telemetry(error.to_string()))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(config.service_name.clone())
                    .build(),
            )
            .build();
        Ok(Some(Telemetry { provider }))
    }

    /// The `tracing` layer that hands spans to the export.
    pub fn layer<S>(&self) -> OpenTelemetryLayer<S, SdkTracer>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer().with_tracer(self.provider.tracer("trellis"))
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(%error, "the last spans could not be exported");
        }
    }
}

/// Names the request's span `name` (`GET /route`) once its route is known.
/// The layer takes `otel.name` only while the span is unstarted, and it
/// starts when first entered, before routing: so the name is set on the
/// OpenTelemetry span itself.
pub(crate) fn name_span(span: &tracing::Span, name: String) {
    span.context().span().update_name(name);
}
