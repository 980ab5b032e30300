//! Logging: pretty for a terminal, JSON lines in production. `RUST_LOG`
//! overrides the configured filter.

use crate::settings::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;

pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    // A second init (tests call the app builder many times) is harmless.
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
