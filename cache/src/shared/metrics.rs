//! The tier's health, refusals, budget and pending revalidations, in
//! Prometheus text.

use std::fmt::Write as _;

use super::state::TierState;

/// Each series: name, type, help, and its value now.
pub(super) fn render(state: &TierState) -> String {
    let health = &state.health;
    let series: [(&str, &str, &str, u64); 8] = [
        (
            "trellis_shared_store_up",
            "gauge",
            "Whether Redis answered the last call.",
            u64::from(health.is_up()),
        ),
        (
            "trellis_shared_store_errors_total",
            "counter",
            "Redis calls that found it unreachable or too slow (an outage).",
            health.errors(),
        ),
        (
            "trellis_shared_store_write_errors_total",
            "counter",
            "Writes Redis refused for one key (out of memory, a key of the wrong type); Redis stayed up.",
            health.write_errors(),
        ),
        (
            "trellis_shared_store_read_errors_total",
            "counter",
            "Reads Redis refused for one key (a key of the wrong type): a miss for that key.",
            health.read_errors(),
        ),
        (
            "trellis_shared_store_refused_entries_total",
            "counter",
            "Entries read from Redis and refused (unreadable, made in the future, unsigned or wrongly signed): misses.",
            state.refusals.count(),
        ),
        (
            "trellis_shared_store_used_bytes",
            "gauge",
            "Redis's memory use as last counted: INFO used_memory, plus this instance's writes since.",
            state.budget.used(),
        ),
        (
            "trellis_shared_store_over_budget_total",
            "counter",
            "Entries not written to Redis because it was at [cache] shared_budget_bytes.",
            state.budget.skipped(),
        ),
        (
            "trellis_shared_revalidations_pending",
            "gauge",
            "Revalidations Redis could not take, kept to send when it returns.",
            state.pending.len() as u64,
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in series {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    out
}
