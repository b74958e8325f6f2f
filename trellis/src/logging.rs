//! The log output of the commands that serve: what `trellis::main` installs,
//! and what a `main` of one's own can install the same way.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs Trellis's log output on stdout: `RUST_LOG` chooses what is
/// shown, `info` when it is unset or unreadable (one line per request, and
/// the cause of every 500). Colours only on a terminal, so a log piped to a
/// file or a test reads as plain text. A second call changes nothing.
///
/// ```no_run
/// trellis::init_logging();
/// trellis::tracing::info!("logged as the server logs");
/// ```
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // An error only means a subscriber is installed already: keep it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
}

/// Logging as [`init_logging`] installs it, plus the OTLP span export
/// `[telemetry]` asks for; keep what it returns until the server stopped,
/// so that the last batch is sent.
#[cfg(feature = "otel")]
pub fn init_logging_with_telemetry(
    telemetry: &trellis_config::TelemetryConfig,
) -> Result<Option<trellis_engine::Telemetry>, Box<dyn std::error::Error>> {
    use tracing_subscriber::prelude::*;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let telemetry = trellis_engine::Telemetry::start(telemetry)?;
    let layer = telemetry.as_ref().map(trellis_engine::Telemetry::layer);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_ansi(std::io::stdout().is_terminal()))
        .with(layer)
        .try_init();
    Ok(telemetry)
}
