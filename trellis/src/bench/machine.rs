//! The machine a run was made on, for its report: figures from two
//! machines are not comparable, and a report should say which it was.

use serde_json::{json, Value};

use super::cores::{allowed_cpus, online_cpus};

/// What the kernel tells of this machine; a figure it does not tell is
/// left out (null), never guessed.
pub fn describe() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, model)| model.trim().to_string());
    let memory_mib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| {
            meminfo
                .lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map(|kib| kib / 1024);
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|text| text.trim().to_string())
    };
    json!({
        "host": read("/proc/sys/kernel/hostname"),
        "os": std::env::consts::OS,
        "kernel": read("/proc/sys/kernel/osrelease"),
        "cpu": cpu,
        "cores": online_cpus(),
        "load_cpus": allowed_cpus(),
        "memory_mib": memory_mib,
        "trellis": env!("CARGO_PKG_VERSION"),
    })
}
