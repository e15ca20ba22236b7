//! Zoom's webhook events, received: written to the store's inbox before Zoom hears "200", then
//! applied once each by a worker.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::{Meetings, ServiceError};
use crate::scheduling::settings::RecordingsTo;
use crate::secret::Secret;
use crate::store::{MeetingChange, MeetingRecord};
use crate::zoom::webhook::{EventObject, WebhookEvent};

mod effect;
mod lease;

pub use effect::{Effect, NotYet, Teller};

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// New: it is in the inbox (durable) and will be applied.
    New,
    /// The same event was received before (Zoom retries and sends duplicates): nothing to do.
    Duplicate,
    /// Not for this bot (an event type it does not act on, or a meeting it did not create).
    Ignored,
}

/// Where verified webhook events go. The HTTP endpoint answers Zoom's 200 only after
/// [`Inbox::receive`] returned: an event Zoom was told is received is never lost.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// Keeps `event` durably unless it was received before; `raw` is its body as Zoom sent it.
    async fn receive(&self, event: &WebhookEvent, raw: &[u8]) -> Result<Received, ServiceError>;
}

/// The event types the bot acts on.
pub const KNOWN: [&str; 5] = [
    "meeting.started",
    "meeting.ended",
    "meeting.updated",
    "meeting.deleted",
    "recording.completed",
];

/// What one pass of the webhook worker did.
#[derive(Debug, Clone, Default)]
pub struct WebhookPass {
    /// Events read from the inbox.
    pub read: usize,
    /// Those applied: their type and the time since they were received.
    pub applied: Vec<(String, SignedDuration)>,
    /// It stopped at an event Discord could not take yet.
    pub stopped: bool,
    /// Another replica sharing the store was applying the inbox.
    pub elsewhere: bool,
}

impl WebhookPass {
    /// Events left in the inbox after the pass (at least: a full batch may have more behind it).
    pub fn waiting(&self) -> usize {
        self.read - self.applied.len()
    }
}

/// The inbox is read this many events at a time.
const BATCH: usize = 64;
/// The longest the worker waits between looks at the inbox.
const IDLE: Duration = Duration::from_secs(30);
/// After Discord failed, the worker waits this long, doubling up to [`IDLE`].
const AFTER_FAILURE: Duration = Duration::from_secs(1);
/// A redelivery is recognised for this long after the first (Zoom retries within hours).
const KEYS_KEPT: SignedDuration = SignedDuration::from_hours(72);

#[async_trait]
impl Inbox for Meetings {
    async fn receive(&self, event: &WebhookEvent, raw: &[u8]) -> Result<Received, ServiceError> {
        if !KNOWN.contains(&event.event.as_str()) {
            return Ok(Received::Ignored);
        }
        let Some(id) = event.meeting() else {
            return Ok(Received::Ignored);
        };
        if self.store.zoom_meeting(id).await?.is_none() {
            return Ok(Received::Ignored);
        }
        let raw = String::from_utf8_lossy(raw);
        let kept = self
            .store
            .receive_event(&event.key(), &raw, Timestamp::now())
            .await?;
        if !kept {
            return Ok(Received::Duplicate);
        }
        self.store.flush().await?;
        self.webhooks_arrived.notify_one();
        Ok(Received::New)
    }
}

impl Meetings {
    /// Applies the inbox's events in the order received, each once; stops at the first whose
    /// effect Discord could not take, so it and those after it are applied later, in order.
    pub async fn apply_received(&self, teller: &dyn Teller) -> Result<WebhookPass, ServiceError> {
        // Replicas sharing the store apply its inbox one at a time, in order: whoever holds the
        // lease. A replica that takes it over may follow one that stopped half-way.
        if !self.hold_inbox().await? {
            return Ok(WebhookPass {
                elsewhere: true,
                ..WebhookPass::default()
            });
        }
        let pending = self.store.pending_events(BATCH).await?;
        let mut pass = WebhookPass {
            read: pending.len(),
            ..WebhookPass::default()
        };
        for entry in pending {
            if !self.hold_inbox().await? {
                pass.elsewhere = true;
                break;
            }
            // Events are applied one at a time: only the first one this process sees can have
            // been shown by a process that stopped before noting it.
            let unsure = !self
                .webhooks_resumed
                .swap(true, std::sync::atomic::Ordering::SeqCst);
            match self.apply(teller, &entry.raw, unsure).await {
                Ok(event) => pass
                    .applied
                    .push((event, Timestamp::now().duration_since(entry.received_at))),
                Err(Applying::NotYet(why)) => {
                    tracing::info!(reason = %why, "a Zoom event waits for Discord");
                    pass.stopped = true;
                    break;
                }
                Err(Applying::Store(err)) => return Err(err),
            }
            self.store.applied_event(entry.seq).await?;
        }
        if !pass.applied.is_empty() {
            self.store.flush().await?;
        }
        self.let_go_of_inbox().await;
        Ok(pass)
    }

    /// Runs the webhook worker for good: events kept before a crash first, then each as it
    /// arrives. `counted` sees each pass.
    pub async fn run_webhooks(
        self: Arc<Self>,
        teller: Arc<dyn Teller>,
        counted: impl Fn(&WebhookPass),
    ) {
        let mut backoff = AFTER_FAILURE;
        loop {
            let wait = match self.apply_received(teller.as_ref()).await {
                Ok(pass) => {
                    counted(&pass);
                    if pass.elsewhere {
                        // What arrived here waits for the other replica's pass, then for us.
                        AFTER_FAILURE
                    } else if pass.stopped {
                        backoff = (backoff * 2).min(IDLE);
                        backoff
                    } else if pass.read >= BATCH {
                        continue;
                    } else {
                        backoff = AFTER_FAILURE;
                        IDLE
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the webhook worker could not read or write the store");
                    IDLE
                }
            };
            if let Err(err) = self
                .store
                .forget_event_keys(Timestamp::now() - KEYS_KEPT)
                .await
            {
                tracing::warn!(error = %err, "could not forget old webhook keys");
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.webhooks_arrived.notified() => {}
            }
        }
    }

    /// Applies one stored event; its type (for the metrics).
    async fn apply(
        &self,
        teller: &dyn Teller,
        raw: &str,
        unsure: bool,
    ) -> Result<String, Applying> {
        let Ok(event) = serde_json::from_str::<WebhookEvent>(raw) else {
            tracing::warn!("a stored Zoom event cannot be read; dropped");
            return Ok("other".to_owned());
        };
        self.effect_of(teller, &event, unsure).await?;
        Ok(event.event)
    }

    async fn effect_of(
        &self,
        teller: &dyn Teller,
        event: &WebhookEvent,
        unsure: bool,
    ) -> Result<(), Applying> {
        let Some(object) = event.payload.object.as_ref() else {
            return Ok(());
        };
        let Some(record) = self.record_of(event).await? else {
            return Ok(());
        };
        let at = object
            .end_time
            .or(object.start_time)
            .or_else(|| Timestamp::from_millisecond(event.event_ts).ok())
            .unwrap_or_else(Timestamp::now);
        let uuid = object.uuid.clone().unwrap_or_default();
        let change = |change: MeetingChange| async move {
            self.store
                .update_meeting(record.guild, record.zoom_id, &change)
                .await
                .map_err(|e| Applying::Store(e.into()))?
                .ok_or(Applying::Store(ServiceError::UnknownMeeting(
                    record.zoom_id,
                )))
        };
        let effect = match event.event.as_str() {
            "meeting.started" => {
                let at = object.start_time.unwrap_or(at);
                let now = change(MeetingChange::Started {
                    uuid: uuid.clone(),
                    at,
                })
                .await?;
                // A `started` that came after its `ended` changes nothing.
                if now.held.as_ref().is_some_and(|h| h.ended.is_some()) {
                    return Ok(());
                }
                Effect::Live {
                    record: now,
                    started: at,
                }
            }
            "meeting.ended" => {
                let ended = object.end_time.unwrap_or(at);
                let now = change(MeetingChange::Ended {
                    uuid,
                    started: object.start_time,
                    at: ended,
                })
                .await?;
                let started = now.held.as_ref().map_or(ended, |h| h.started);
                Effect::Ended {
                    record: now,
                    started,
                    ended,
                }
            }
            "meeting.deleted" if record.cancelled => return Ok(()),
            "meeting.deleted" => match (&record.series, occurrence_start(object)) {
                (Some(_), Some(start)) => Effect::Moved {
                    record: change(MeetingChange::Skip {
                        start,
                        now: Timestamp::now(),
                    })
                    .await?,
                },
                _ => Effect::Cancelled {
                    record: change(MeetingChange::Cancel).await?,
                },
            },
            "meeting.updated" => match self.moved_in_zoom(&record, object).await? {
                Some(effect) => effect,
                None => return Ok(()),
            },
            "recording.completed" => match self.recording(record, object).await? {
                Some(effect) => effect,
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        teller.tell(&effect, unsure).await.map_err(Applying::NotYet)
    }

    /// A meeting moved or renamed in Zoom's own app: the record and its reminder follow. The
    /// bot's own reschedules arrive here too, and change nothing: the record has them already.
    /// A series is renamed but not moved from here (its rule lives in the record).
    async fn moved_in_zoom(
        &self,
        record: &MeetingRecord,
        object: &EventObject,
    ) -> Result<Option<Effect>, Applying> {
        if record.cancelled {
            return Ok(None);
        }
        let start = object.start_time.unwrap_or(record.start);
        let minutes = object.duration.unwrap_or(record.duration_minutes);
        let retitled = object
            .topic
            .as_ref()
            .filter(|t| !t.trim().is_empty() && **t != record.topic);
        let moved = record.series.is_none()
            && (start != record.start || minutes != record.duration_minutes);
        let mut changes = Vec::new();
        if let Some(topic) = retitled {
            changes.push(MeetingChange::Retitle(topic.clone()));
        }
        if moved {
            changes.push(MeetingChange::Reschedule {
                start,
                duration_minutes: minutes,
                now: Timestamp::now(),
            });
        }
        let mut now = None;
        for change in &changes {
            now = self
                .store
                .update_meeting(record.guild, record.zoom_id, change)
                .await
                .map_err(|e| Applying::Store(e.into()))?;
        }
        let Some(now) = now else {
            return Ok(None);
        };
        if moved {
            self.reminders_changed.notify_one();
        }
        Ok(Some(Effect::Moved { record: now }))
    }

    /// A recording is ready: its share link goes where the server wants it, if anywhere.
    async fn recording(
        &self,
        record: MeetingRecord,
        object: &EventObject,
    ) -> Result<Option<Effect>, Applying> {
        let settings = self
            .store
            .guild_settings(record.guild)
            .await
            .map_err(|e| Applying::Store(e.into()))?;
        let to = settings.recordings.unwrap_or(RecordingsTo::Host);
        Ok(share_link(object)
            .filter(|_| to != RecordingsTo::Off)
            .map(|link| Effect::Recording { record, link, to }))
    }

    async fn record_of(&self, event: &WebhookEvent) -> Result<Option<MeetingRecord>, Applying> {
        let Some(id) = event.meeting() else {
            return Ok(None);
        };
        self.store
            .zoom_meeting(id)
            .await
            .map_err(|e| Applying::Store(e.into()))
    }
}

enum Applying {
    NotYet(NotYet),
    Store(ServiceError),
}

/// The start of the occurrence an event names (Zoom's occurrence ids are epoch milliseconds).
fn occurrence_start(object: &EventObject) -> Option<Timestamp> {
    let ms: i64 = object.occurrence_id.as_deref()?.parse().ok()?;
    Timestamp::from_millisecond(ms).ok()
}

/// A recording's share link, with its play passcode where Zoom gave one.
fn share_link(object: &EventObject) -> Option<Secret> {
    let url = object.share_url.as_ref()?.expose();
    Some(Secret::new(match &object.recording_play_passcode {
        Some(pwd) if !pwd.expose().is_empty() && !url.contains("pwd=") => {
            let glue = if url.contains('?') { '&' } else { '?' };
            format!("{url}{glue}pwd={}", pwd.expose())
        }
        _ => url.to_owned(),
    }))
}
