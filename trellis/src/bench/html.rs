//! `--html FILE`: the report as one self-contained page. Its figures,
//! settings and machine are written into the page as text; its charts
//! (throughput and latency percentiles over time, the latency distribution,
//! statuses and `Cache-Status` over time) are drawn as SVG by a small
//! script in the page from the run's JSON, also in the page. Nothing is
//! fetched when it opens, so it can be kept, mailed and opened offline.
//!
//! Once the charts are drawn the script marks the page
//! (`<html data-rendered="ok">`) and writes the figures it drew into
//! `<output id="drawn">`; a script error marks it `error: ...` instead. The
//! tests read these marks from a headless browser.

use std::fmt::Write;

use serde_json::Value;

use super::report::Report;

/// Draws the charts: plain DOM and SVG, no library.
const SCRIPT: &str = include_str!("report.js");
const STYLE: &str = include_str!("report.css");

/// The whole page.
pub fn page(report: &Report) -> String {
    let data = report.to_json();
    let target = data["settings"]["target"].as_str().unwrap_or_default();
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\" data-rendered=\"no\">\n<head>\n\
         <meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n\
         <title>trellis bench: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>trellis bench</h1><p class=\"target\">{}</p>\
         <p class=\"when\" data-unix-ms=\"{}\"></p></header>\n\
         <noscript><p>The charts need JavaScript; the figures below do not.</p></noscript>\n",
        escape(target),
        escape(target),
        data["started_unix_ms"],
    );
    page.push_str(&figures(&data));
    page.push_str(
        "<section class=\"charts\">\n\
         <figure class=\"chart\" id=\"throughput\"><figcaption>Throughput over time (responses and errors a second)</figcaption></figure>\n\
         <figure class=\"chart\" id=\"latency\"><figcaption>Latency percentiles over time (ms)</figcaption></figure>\n\
         <figure class=\"chart\" id=\"distribution\"><figcaption>Latency distribution (responses by latency, ms)</figcaption></figure>\n\
         <figure class=\"chart\" id=\"statuses\"><figcaption>Statuses over time (responses a second)</figcaption></figure>\n\
         <figure class=\"chart\" id=\"cache\"><figcaption>Cache-Status over time (responses a second)</figcaption></figure>\n\
         </section>\n",
    );
    page.push_str(&by_request(&data));
    page.push_str(&settings(&data));
    page.push_str(&key_values("Machine", &data["machine"]));
    page.push_str("<output id=\"drawn\"></output>\n");
    // In a JSON script element only `</script` could end it early; `<` never
    // appears in JSON outside strings, where `\u003c` means the same.
    let json = data
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"run-data\">{json}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    page
}

/// The run's headline figures and thresholds, as text.
fn figures(data: &Value) -> String {
    let ms = |key: &str| format!("{:.3} ms", data["latency_ms"][key].as_f64().unwrap_or(0.0));
    let counts = |group: &Value| {
        let parts: Vec<String> = group
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
            .map(|(key, n)| format!("{key}: {n}"))
            .collect();
        match parts.is_empty() {
            true => "none".to_string(),
            false => parts.join(", "),
        }
    };
    let rows = [
        ("Requests", data["requests"].to_string()),
        (
            "Duration",
            format!("{:.2} s", data["duration_secs"].as_f64().unwrap_or(0.0)),
        ),
        (
            "Requests/s",
            format!("{:.1}", data["requests_per_sec"].as_f64().unwrap_or(0.0)),
        ),
        ("Latency p50", ms("p50")),
        ("Latency p90", ms("p90")),
        ("Latency p99", ms("p99")),
        ("Latency p99.9", ms("p999")),
        ("Latency max", ms("max")),
        ("Status", counts(&data["status"])),
        ("Cache-Status", counts(&data["cache_status"])),
        ("Errors", counts(&data["errors"])),
    ];
    let mut out = String::from("<section id=\"figures\"><h2>Figures</h2><table>\n");
    for (name, value) in rows {
        let _ = writeln!(out, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
    }
    for verdict in data["thresholds"].as_array().into_iter().flatten() {
        let passed = verdict["passed"].as_bool().unwrap_or(false);
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><th>Threshold</th><td>{}: {:.3}, {}</td></tr>",
            if passed { "passed" } else { "failed" },
            escape(verdict["threshold"].as_str().unwrap_or_default()),
            verdict["actual"].as_f64().unwrap_or(0.0),
            if passed { "passed" } else { "FAILED" },
        );
    }
    out.push_str("</table></section>\n");
    out
}

/// Each request of the mix.
fn by_request(data: &Value) -> String {
    let mut out = String::from(
        "<section id=\"requests\"><h2>Requests</h2><table>\n\
         <tr><th>request</th><th>responses</th><th>errors</th><th>p50</th><th>p99</th></tr>\n",
    );
    for request in data["by_request"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3} ms</td><td>{:.3} ms</td></tr>",
            escape(request["name"].as_str().unwrap_or_default()),
            request["requests"],
            request["errors"],
            request["latency_ms"]["p50"].as_f64().unwrap_or(0.0),
            request["latency_ms"]["p99"].as_f64().unwrap_or(0.0),
        );
    }
    out.push_str("</table></section>\n");
    out
}

/// How the run was set up: its plain settings, then its requests and phases.
fn settings(data: &Value) -> String {
    let settings = &data["settings"];
    let mut out = key_values("Settings", settings);
    let tables: [(&str, &[&str]); 2] = [
        ("requests", &["name", "method", "path", "weight"]),
        (
            "phases",
            &["name", "start_secs", "duration_secs", "from_rate", "rate"],
        ),
    ];
    for (key, columns) in tables {
        let Some(rows) = settings[key].as_array() else {
            continue;
        };
        let _ = write!(out, "<section class=\"{key}\"><h3>{key}</h3><table>\n<tr>");
        for column in columns {
            let _ = write!(out, "<th>{column}</th>");
        }
        out.push_str("</tr>\n");
        for row in rows {
            out.push_str("<tr>");
            for column in columns {
                let _ = write!(out, "<td>{}</td>", escape(&plain(&row[*column])));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table></section>\n");
    }
    out
}

/// An object's plain values as a table; arrays are left to their own.
fn key_values(title: &str, object: &Value) -> String {
    let id = title.to_ascii_lowercase();
    let mut out = format!("<section id=\"{id}\"><h2>{title}</h2><table>\n");
    for (key, value) in object.as_object().into_iter().flatten() {
        if value.is_array() {
            continue;
        }
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(key),
            escape(&plain(value))
        );
    }
    out.push_str("</table></section>\n");
    out
}

/// A JSON value as a reader wants it: strings without quotes, nothing for
/// null.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Text made safe inside an element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_run_cannot_break_out_of_the_page() {
        assert_eq!(
            escape("<script>\"a\" & 'b'"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;"
        );
    }
}
