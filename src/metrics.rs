//! The bot's metrics, rendered in Prometheus' text exposition format (0.0.4) for `GET /metrics`.
//!
//! A handful of counters and histograms do not need a metrics crate: each series is a row in a
//! map keyed by its label values, behind a mutex held only to add a number. Label values come
//! from closed sets (command names, endpoint templates, status codes), never from ids or user
//! text, so the number of series stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Buckets (seconds) for a command, from the interaction to the last reply.
const COMMAND_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Buckets (seconds) for one HTTP request to Zoom.
const ZOOM_BUCKETS: &[f64] = &[0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Every metric the bot exports. One value, shared by `Arc`, handed to whoever records.
#[derive(Debug)]
pub struct Metrics {
    /// Commands handled, by name and outcome (`ok`, `user_error`, `failed`).
    pub commands: Counter,
    /// How long commands took, by name.
    pub command_seconds: Histogram,
    /// Zoom API requests, by endpoint template and HTTP status (`error` when no answer came).
    pub zoom_request_seconds: Histogram,
    /// Zoom OAuth token requests, by outcome (`ok`, `error`).
    pub zoom_token_fetches: Counter,
    /// Zoom 429 answers, by type (`per_second`, `daily`).
    pub zoom_rate_limited: Counter,
    /// Discord REST calls that failed, by HTTP status and Discord's JSON error code.
    pub discord_rest_errors: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric, with no series yet.
    pub fn new() -> Self {
        Self {
            commands: Counter::new(
                "zoombot_commands_total",
                "Commands handled, by command and outcome (ok, user_error, failed).",
                &["command", "outcome"],
            ),
            command_seconds: Histogram::new(
                "zoombot_command_duration_seconds",
                "Time from receiving a command to its last reply.",
                &["command"],
                COMMAND_BUCKETS,
            ),
            zoom_request_seconds: Histogram::new(
                "zoombot_zoom_request_duration_seconds",
                "Zoom API requests by endpoint and HTTP status (error: no answer).",
                &["endpoint", "status"],
                ZOOM_BUCKETS,
            ),
            zoom_token_fetches: Counter::new(
                "zoombot_zoom_token_fetches_total",
                "Zoom OAuth token requests, by outcome.",
                &["outcome"],
            ),
            zoom_rate_limited: Counter::new(
                "zoombot_zoom_rate_limited_total",
                "Zoom 429 answers, by rate limit type (per_second, daily).",
                &["type"],
            ),
            discord_rest_errors: Counter::new(
                "zoombot_discord_rest_errors_total",
                "Discord REST calls that failed, by HTTP status and Discord JSON error code.",
                &["status", "code"],
            ),
        }
    }

    /// Every metric in the text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.commands.render(&mut out);
        self.command_seconds.render(&mut out);
        self.zoom_request_seconds.render(&mut out);
        self.zoom_token_fetches.render(&mut out);
        self.zoom_rate_limited.render(&mut out);
        self.discord_rest_errors.render(&mut out);
        out
    }
}

/// A counter family: one monotonic count per set of label values.
#[derive(Debug)]
pub struct Counter {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl Counter {
    fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self {
            name,
            help,
            labels,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one to the series with these label values (in the family's label order).
    pub fn inc(&self, values: &[&str]) {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        let key = values.iter().map(|v| (*v).to_owned()).collect();
        *self
            .series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default() += 1;
    }

    /// The count of the series with these label values (0 if it has none yet).
    pub fn get(&self, values: &[&str]) -> u64 {
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        self.series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .copied()
            .unwrap_or_default()
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        for (values, count) in series.iter() {
            let labels = label_set(self.labels, values, None);
            let _ = writeln!(out, "{}{labels} {count}", self.name);
        }
    }
}

/// A histogram family with fixed buckets (seconds).
#[derive(Debug)]
pub struct Histogram {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    series: Mutex<BTreeMap<Vec<String>, Observations>>,
}

#[derive(Debug, Default, Clone)]
struct Observations {
    /// Per bucket, observations at most its bound (not yet cumulative).
    counts: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        buckets: &'static [f64],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            buckets,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records `elapsed` in the series with these label values.
    pub fn observe(&self, values: &[&str], elapsed: Duration) {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        let seconds = elapsed.as_secs_f64();
        let key = values.iter().map(|v| (*v).to_owned()).collect();
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = series.entry(key).or_insert_with(|| Observations {
            counts: vec![0; self.buckets.len()],
            ..Observations::default()
        });
        if let Some(i) = self.buckets.iter().position(|bound| seconds <= *bound) {
            entry.counts[i] += 1;
        }
        entry.count += 1;
        entry.sum += seconds;
    }

    /// How many observations the series with these label values has.
    pub fn count(&self, values: &[&str]) -> u64 {
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        self.series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .map_or(0, |o| o.count)
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        for (values, observed) in series.iter() {
            let mut cumulative = 0;
            for (bound, n) in self.buckets.iter().zip(&observed.counts) {
                cumulative += n;
                let labels = label_set(self.labels, values, Some(&bound.to_string()));
                let _ = writeln!(out, "{}_bucket{labels} {cumulative}", self.name);
            }
            let labels = label_set(self.labels, values, Some("+Inf"));
            let _ = writeln!(out, "{}_bucket{labels} {}", self.name, observed.count);
            let labels = label_set(self.labels, values, None);
            let _ = writeln!(out, "{}_sum{labels} {}", self.name, observed.sum);
            let _ = writeln!(out, "{}_count{labels} {}", self.name, observed.count);
        }
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    // HELP text escapes backslashes and newlines; label values also escape double quotes.
    let help = help.replace('\\', r"\\").replace('\n', r"\n");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `{a="x",b="y"}` (with `le` last for a bucket), or nothing when there are no labels.
fn label_set(names: &[&str], values: &[String], le: Option<&str>) -> String {
    let mut pairs: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(name, value)| format!("{name}=\"{}\"", escape_label(value)))
        .collect();
    if let Some(le) = le {
        pairs.push(format!("le=\"{le}\""));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", pairs.join(","))
    }
}

fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_help_type_and_one_line_per_label_set() {
        let metrics = Metrics::new();
        metrics.commands.inc(&["meet", "ok"]);
        metrics.commands.inc(&["meet", "ok"]);
        metrics.commands.inc(&["meetings", "user_error"]);

        let text = metrics.render();

        assert!(text.contains("# HELP zoombot_commands_total Commands handled"));
        assert!(text.contains("# TYPE zoombot_commands_total counter\n"));
        assert!(text.contains("zoombot_commands_total{command=\"meet\",outcome=\"ok\"} 2\n"));
        assert!(
            text.contains(
                "zoombot_commands_total{command=\"meetings\",outcome=\"user_error\"} 1\n"
            )
        );
        assert_eq!(metrics.commands.get(&["meet", "ok"]), 2);
        assert_eq!(metrics.commands.get(&["meet", "failed"]), 0);
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf_sum_and_count() {
        let metrics = Metrics::new();
        let labels = ["POST /users/{userId}/meetings", "201"];
        for ms in [10, 40, 300, 60_000] {
            metrics
                .zoom_request_seconds
                .observe(&labels, Duration::from_millis(ms));
        }

        let text = metrics.render();
        let series = r#"endpoint="POST /users/{userId}/meetings",status="201""#;
        let line = |suffix: &str, le: Option<&str>| {
            let le = le.map(|le| format!(",le=\"{le}\"")).unwrap_or_default();
            format!("zoombot_zoom_request_duration_seconds{suffix}{{{series}{le}}}")
        };

        assert!(text.contains("# TYPE zoombot_zoom_request_duration_seconds histogram\n"));
        assert!(text.contains(&format!("{} 1\n", line("_bucket", Some("0.025")))));
        assert!(text.contains(&format!("{} 2\n", line("_bucket", Some("0.05")))));
        assert!(text.contains(&format!("{} 3\n", line("_bucket", Some("0.5")))));
        assert!(text.contains(&format!("{} 3\n", line("_bucket", Some("10")))));
        assert!(text.contains(&format!("{} 4\n", line("_bucket", Some("+Inf")))));
        let sum: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{} ", line("_sum", None))))
            .and_then(|v| v.parse().ok())
            .expect("a _sum line");
        assert!((sum - 60.35).abs() < 1e-9, "{sum}");
        assert!(text.contains(&format!("{} 4\n", line("_count", None))));
        assert_eq!(metrics.zoom_request_seconds.count(&labels), 4);
    }

    #[test]
    fn label_values_escape_backslashes_quotes_and_newlines() {
        let metrics = Metrics::new();
        metrics.discord_rest_errors.inc(&["a\"b", "c\\d\ne"]);

        let text = metrics.render();

        assert!(
            text.contains(r#"zoombot_discord_rest_errors_total{status="a\"b",code="c\\d\ne"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn families_without_series_still_declare_themselves() {
        let text = Metrics::new().render();
        for name in [
            "zoombot_commands_total",
            "zoombot_command_duration_seconds",
            "zoombot_zoom_request_duration_seconds",
            "zoombot_zoom_token_fetches_total",
            "zoombot_zoom_rate_limited_total",
            "zoombot_discord_rest_errors_total",
        ] {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
        }
        assert!(text.lines().all(|l| l.starts_with("# ")), "{text}");
    }
}
