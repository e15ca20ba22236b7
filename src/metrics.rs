//! The bot's metrics, through the `prometheus` crate, rendered in Prometheus' text exposition
//! format (0.0.4) for `GET /metrics`.
//!
//! Label values come from closed sets (command names, endpoint templates, status codes), never
//! from ids or user text, so the number of series stays bounded. The crate sorts a series' labels
//! by name and leaves out a family until it has a series; Prometheus reads both.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Buckets (seconds) for a command, from the interaction to the last reply.
const COMMAND_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Buckets (seconds) for one HTTP request to Zoom.
const ZOOM_BUCKETS: &[f64] = &[0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Every metric the bot exports. One value, shared by `Arc`, handed to whoever records.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
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
    /// Requests to the HTTP interactions endpoint turned away, by reason (see the help text).
    pub interactions_rejected: Counter,
    /// Reminders, by what became of them (`scheduled`, `posted`, `late`, `dropped`).
    pub reminders: Counter,
    /// Discord scheduled events, by outcome (`created`, `failed`) and Discord's error code
    /// (`none` when it succeeded or gave none).
    pub events: Counter,
    /// Zoom webhook deliveries, by event type (a known one, or `other`) and outcome.
    pub webhooks: Counter,
    /// Zoom webhook events applied (their effect shown in Discord), by event.
    pub webhooks_applied: Counter,
    /// From a webhook's receipt to its effect shown in Discord, by event.
    pub webhook_seconds: Histogram,
    /// Webhook events received and not applied yet, as of the worker's last pass.
    pub webhook_inbox: Gauge,
    /// Interactions a process that died had taken up, finished by this one, by command.
    pub interactions_taken_over: Counter,
    /// Members' own Zoom accounts.
    pub accounts: AccountMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric, with no series yet.
    pub fn new() -> Self {
        let registry = Registry::new();
        Self {
            commands: Counter::new(
                &registry,
                "zoombot_commands_total",
                "Commands handled, by command and outcome (ok, user_error, failed).",
                &["command", "outcome"],
            ),
            command_seconds: Histogram::new(
                &registry,
                "zoombot_command_duration_seconds",
                "Time from receiving a command to its last reply.",
                &["command"],
                COMMAND_BUCKETS,
            ),
            zoom_request_seconds: Histogram::new(
                &registry,
                "zoombot_zoom_request_duration_seconds",
                "Zoom API requests by endpoint and HTTP status (error: no answer).",
                &["endpoint", "status"],
                ZOOM_BUCKETS,
            ),
            zoom_token_fetches: Counter::new(
                &registry,
                "zoombot_zoom_token_fetches_total",
                "Zoom OAuth token requests, by outcome.",
                &["outcome"],
            ),
            zoom_rate_limited: Counter::new(
                &registry,
                "zoombot_zoom_rate_limited_total",
                "Zoom 429 answers, by rate limit type (per_second, daily).",
                &["type"],
            ),
            discord_rest_errors: Counter::new(
                &registry,
                "zoombot_discord_rest_errors_total",
                "Discord REST calls that failed, by HTTP status and Discord JSON error code.",
                &["status", "code"],
            ),
            interactions_rejected: Counter::new(
                &registry,
                "zoombot_interactions_rejected_total",
                "Requests to POST /discord/interactions turned away, by reason: \
                 missing_signature, bad_signature, stale_timestamp (401); too_large (413); \
                 malformed (400); duplicate (an interaction id already taken, 409); \
                 shutting_down (503).",
                &["reason"],
            ),
            interactions_taken_over: Counter::new(
                &registry,
                "zoombot_interactions_taken_over_total",
                "Interactions a process that stopped had acknowledged and not answered, \
                 finished by this one, by command.",
                &["command"],
            ),
            reminders: Counter::new(
                &registry,
                "zoombot_reminders_total",
                "Reminders by what became of them: scheduled, posted, late (posted over a minute \
                 after due), dropped (cancelled, started, or its channel gone).",
                &["outcome"],
            ),
            events: Counter::new(
                &registry,
                "zoombot_discord_events_total",
                "Discord scheduled events created or failed, by Discord's error code.",
                &["outcome", "code"],
            ),
            webhooks: Counter::new(
                &registry,
                "zoombot_webhooks_total",
                "Zoom webhook deliveries by event and outcome: received, duplicate, ignored, \
                 rejected_signature, rejected_timestamp, too_large, malformed, failed.",
                &["event", "outcome"],
            ),
            webhooks_applied: Counter::new(
                &registry,
                "zoombot_webhooks_applied_total",
                "Zoom webhook events applied (their effect shown in Discord), by event.",
                &["event"],
            ),
            webhook_seconds: Histogram::new(
                &registry,
                "zoombot_webhook_apply_seconds",
                "From a Zoom webhook's receipt to its effect shown in Discord.",
                &["event"],
                COMMAND_BUCKETS,
            ),
            webhook_inbox: Gauge::new(
                &registry,
                "zoombot_webhook_inbox_depth",
                "Zoom webhook events received and not applied yet (as of the worker's last pass).",
            ),
            accounts: AccountMetrics::new(&registry),
            registry,
        }
    }

    /// Every metric that has a series, in the text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %err, "could not render the metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// What happens to members' own Zoom accounts.
#[derive(Debug)]
pub struct AccountMetrics {
    /// Accounts linked, by outcome (`linked`, `relinked`, `denied`, `refused`, `failed`).
    pub links: Counter,
    /// Accounts unlinked by the member, by outcome (`unlinked`, `revoke_failed`: forgotten, but
    /// Zoom did not confirm the revoke).
    pub unlinks: Counter,
    /// Token refreshes, by outcome (`ok`, `invalid_grant`, `unavailable`, `refused`, `unsaved`).
    pub refreshes: Counter,
    /// Links dropped without the member asking, by reason (`invalid_grant`, `deauthorized`,
    /// `unreadable`, `relinked_elsewhere`: another member linked the same Zoom user).
    pub links_dropped: Counter,
}

impl AccountMetrics {
    fn new(registry: &Registry) -> Self {
        Self {
            links: Counter::new(
                registry,
                "zoombot_member_links_total",
                "Members' Zoom accounts linked through /zoom link, by outcome.",
                &["outcome"],
            ),
            unlinks: Counter::new(
                registry,
                "zoombot_member_unlinks_total",
                "Members' Zoom accounts unlinked through /zoom unlink, by outcome.",
                &["outcome"],
            ),
            refreshes: Counter::new(
                registry,
                "zoombot_member_token_refreshes_total",
                "Refreshes of members' Zoom tokens, by outcome.",
                &["outcome"],
            ),
            links_dropped: Counter::new(
                registry,
                "zoombot_member_links_dropped_total",
                "Members' Zoom links dropped without the member asking, by reason.",
                &["reason"],
            ),
        }
    }
}

/// A counter family: one monotonic count per set of label values.
#[derive(Debug)]
pub struct Counter(IntCounterVec);

impl Counter {
    fn new(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Self {
        // The names and labels are the constants above, valid and registered once each: this
        // cannot fail.
        let family = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter");
        registry
            .register(Box::new(family.clone()))
            .expect("registered once");
        Self(family)
    }

    /// Adds one to the series with these label values (in the family's label order).
    pub fn inc(&self, values: &[&str]) {
        self.inc_by(values, 1);
    }

    /// Adds `n` to the series with these label values.
    pub fn inc_by(&self, values: &[&str], n: u64) {
        let series = self.0.get_metric_with_label_values(values);
        debug_assert!(series.is_ok(), "{values:?}: {series:?}");
        if let Ok(series) = series {
            series.inc_by(n);
        }
    }
}

/// A gauge without labels, absent from the scrape until first set (like the other families
/// until their first series).
#[derive(Debug)]
pub struct Gauge(IntGaugeVec);

impl Gauge {
    fn new(registry: &Registry, name: &str, help: &str) -> Self {
        // A constant name and help, registered once: this cannot fail.
        let family = IntGaugeVec::new(Opts::new(name, help), &[]).expect("a valid gauge");
        registry
            .register(Box::new(family.clone()))
            .expect("registered once");
        Self(family)
    }

    /// Sets it to `value`.
    pub fn set(&self, value: i64) {
        self.0.with_label_values::<&str>(&[]).set(value);
    }
}

/// A histogram family with fixed buckets (seconds).
#[derive(Debug)]
pub struct Histogram(HistogramVec);

impl Histogram {
    fn new(registry: &Registry, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> Self {
        let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
        // As for counters: constant, valid names and buckets, registered once.
        let family = HistogramVec::new(opts, labels).expect("a valid histogram");
        registry
            .register(Box::new(family.clone()))
            .expect("registered once");
        Self(family)
    }

    /// Records `elapsed` in the series with these label values.
    pub fn observe(&self, values: &[&str], elapsed: Duration) {
        let series = self.0.get_metric_with_label_values(values);
        debug_assert!(series.is_ok(), "{values:?}: {series:?}");
        if let Ok(series) = series {
            series.observe(elapsed.as_secs_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(metrics: &Metrics) -> prometheus_parse::Scrape {
        let text = metrics.render();
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .unwrap_or_else(|e| panic!("{e}:\n{text}"))
    }

    fn value(
        scrape: &prometheus_parse::Scrape,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<f64> {
        scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == name
                    && s.labels.len() == labels.len()
                    && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
            })
            .and_then(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => Some(v),
                _ => None,
            })
    }

    #[test]
    fn counters_have_help_type_and_one_sample_per_label_set() {
        let metrics = Metrics::new();
        metrics.commands.inc(&["meet", "ok"]);
        metrics.commands.inc(&["meet", "ok"]);
        metrics.commands.inc(&["meetings", "user_error"]);

        let text = metrics.render();
        let scrape = parsed(&metrics);

        assert!(text.contains(
            "# HELP zoombot_commands_total Commands handled, by command and outcome (ok, user_error, failed).\n"
        ));
        assert!(text.contains("# TYPE zoombot_commands_total counter\n"));
        assert!(text.contains("zoombot_commands_total{command=\"meet\",outcome=\"ok\"} 2\n"));
        let commands = "zoombot_commands_total";
        assert_eq!(
            value(
                &scrape,
                commands,
                &[("command", "meetings"), ("outcome", "user_error")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value(
                &scrape,
                commands,
                &[("command", "meet"), ("outcome", "failed")]
            ),
            None
        );
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
        assert!(text.contains(&format!("{} 4\n", line("_count", None))));
        let sum: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{} ", line("_sum", None))))
            .and_then(|v| v.parse().ok())
            .expect("a _sum line");
        assert!((sum - 60.35).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn a_parser_reads_every_bucket_bound_of_a_histogram() {
        let metrics = Metrics::new();
        metrics
            .command_seconds
            .observe(&["meet"], Duration::from_millis(300));

        let scrape = parsed(&metrics);

        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == "zoombot_command_duration_seconds")
            .expect("the histogram");
        let prometheus_parse::Value::Histogram(buckets) = &sample.value else {
            panic!("{:?}", sample.value)
        };
        let mut expected = COMMAND_BUCKETS.to_vec();
        expected.push(f64::INFINITY);
        let bounds: Vec<f64> = buckets.iter().map(|b| b.less_than).collect();
        assert_eq!(bounds, expected);
        let counts: Vec<f64> = buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, [0., 0., 0., 1., 1., 1., 1., 1., 1., 1.]);
    }

    #[test]
    fn label_values_escape_backslashes_quotes_and_newlines() {
        let metrics = Metrics::new();
        metrics.discord_rest_errors.inc(&["a\"b", "c\\d\ne"]);

        let text = metrics.render();

        // Labels come sorted by name.
        assert!(
            text.contains(r#"zoombot_discord_rest_errors_total{code="c\\d\ne",status="a\"b"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn every_family_renders_with_its_help_and_type_once_it_has_a_series() {
        let metrics = Metrics::new();
        assert!(metrics.render().is_empty(), "no series, nothing to scrape");
        metrics.commands.inc(&["meet", "ok"]);
        metrics
            .command_seconds
            .observe(&["meet"], Duration::from_millis(5));
        metrics.zoom_request_seconds.observe(
            &["GET /meetings/{meetingId}", "200"],
            Duration::from_millis(5),
        );
        metrics.zoom_token_fetches.inc(&["ok"]);
        metrics.zoom_rate_limited.inc(&["daily"]);
        metrics.discord_rest_errors.inc(&["404", "10062"]);
        metrics.webhooks.inc(&["other", "malformed"]);

        let text = format!("\n{}", metrics.render());
        let scrape = parsed(&metrics);

        for (name, help) in [
            ("zoombot_commands_total", "Commands handled"),
            ("zoombot_command_duration_seconds", "Time from receiving"),
            ("zoombot_zoom_request_duration_seconds", "Zoom API requests"),
            ("zoombot_zoom_token_fetches_total", "Zoom OAuth token"),
            ("zoombot_zoom_rate_limited_total", "Zoom 429 answers"),
            ("zoombot_discord_rest_errors_total", "Discord REST calls"),
            ("zoombot_webhooks_total", "Zoom webhook deliveries"),
        ] {
            assert!(
                scrape.docs.get(name).is_some_and(|d| d.starts_with(help)),
                "{name}: {:?}",
                scrape.docs.get(name)
            );
            assert!(
                text.contains(&format!("\n# TYPE {name} ")),
                "{name}:\n{text}"
            );
        }
    }
}
