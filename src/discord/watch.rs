//! A tracing layer that reads serenity's gateway log lines — which telemetry never shows, since
//! some carry tokens — and passes on what [`super::failure::classify`] recognises in them. It is
//! the only place serenity 0.12.5 reports a failed connection attempt (see `failure`).
//!
//! The layer writes nothing: it sends [`Report`]s to whoever called [`reports`], and the bot
//! logs them in its own words (`GatewayStatus::failed`). Sending rather than logging from inside
//! the layer keeps one event from being written while another is being recorded.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::Context;

use super::failure::{Report, classify};

/// Where reports go: one receiver per process (the bot), replaced by each call to [`reports`].
static SINK: Mutex<Option<mpsc::UnboundedSender<Report>>> = Mutex::new(None);

/// The reports from now on. A later call takes them over.
pub fn reports() -> mpsc::UnboundedReceiver<Report> {
    let (tx, rx) = mpsc::unbounded_channel();
    *SINK.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx);
    rx
}

/// The layer, filtered to serenity's gateway lines at INFO and above (its close-code words are
/// WARN, ERROR and, for an invalid session, INFO) whatever `RUST_LOG` says.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    SerenityWatch.with_filter(Targets::new().with_target("serenity::gateway", LevelFilter::INFO))
}

struct SerenityWatch;

impl<S: Subscriber> Layer<S> for SerenityWatch {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        let Some(report) = classify(&message.0) else {
            return;
        };
        if let Some(sink) = SINK.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            let _ = sink.send(report);
        }
    }
}

/// The event's `message` field, the only one serenity's lines have.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
