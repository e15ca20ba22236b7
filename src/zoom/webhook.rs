//! What Zoom's webhooks (Event Subscriptions of the Server-to-Server app) deliver: the event
//! types the bot reads. Ids come as strings in some events and numbers in others.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

use crate::secret::Secret;

/// A Zoom meeting number as webhooks send it: `"85746065432"` in `meeting.started` and
/// `meeting.ended`, `85746065432` elsewhere. One type reads both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoomId(pub i64);

impl<'de> Deserialize<'de> for ZoomId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(i64),
            Text(String),
        }
        match Either::deserialize(d)? {
            Either::Number(n) => Ok(Self(n)),
            Either::Text(s) => s
                .trim()
                .parse()
                .map(Self)
                .map_err(|_| serde::de::Error::custom("a meeting id of digits")),
        }
    }
}

/// One delivery: `{"event": "meeting.started", "event_ts": 1700000000000, "payload": {…}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEvent {
    /// `meeting.started`, `meeting.ended`, `meeting.updated`, `meeting.deleted`,
    /// `recording.completed`, `endpoint.url_validation`, or one the bot ignores.
    pub event: String,
    /// When Zoom emitted it, epoch milliseconds.
    #[serde(default)]
    pub event_ts: i64,
    /// What it is about.
    #[serde(default)]
    pub payload: Payload,
}

/// An event's `payload`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Payload {
    /// The Zoom account it happened in.
    #[serde(default)]
    pub account_id: Option<String>,
    /// `endpoint.url_validation`'s token to hash back.
    #[serde(default, rename = "plainToken")]
    pub plain_token: Option<String>,
    /// The meeting (or recording) as it is now.
    #[serde(default)]
    pub object: Option<EventObject>,
    /// `meeting.updated`: the fields as they were.
    #[serde(default)]
    pub old_object: Option<EventObject>,
}

/// The meeting or recording an event is about; every field optional, as events differ.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventObject {
    /// The meeting number.
    #[serde(default)]
    pub id: Option<ZoomId>,
    /// This instance's (occurrence's) UUID.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// When it started (or, in `meeting.updated`, its new planned start).
    #[serde(default)]
    pub start_time: Option<Timestamp>,
    /// When it ended.
    #[serde(default)]
    pub end_time: Option<Timestamp>,
    /// Planned minutes.
    #[serde(default)]
    pub duration: Option<u32>,
    /// The occurrence of a series it concerns.
    #[serde(default)]
    pub occurrence_id: Option<String>,
    /// `recording.completed`: the page to watch it (never its download links).
    #[serde(default)]
    pub share_url: Option<Secret>,
    /// `recording.completed`: the passcode to play it.
    #[serde(default)]
    pub recording_play_passcode: Option<Secret>,
    /// The host's Zoom user id.
    #[serde(default)]
    pub host_id: Option<String>,
}

impl WebhookEvent {
    /// What makes a delivery the same event again (Zoom retries and sends duplicates): its type,
    /// its object's UUID and its timestamp.
    pub fn key(&self) -> String {
        let uuid = self
            .payload
            .object
            .as_ref()
            .and_then(|o| o.uuid.as_deref())
            .unwrap_or("");
        format!("{}|{uuid}|{}", self.event, self.event_ts)
    }

    /// The meeting number it is about, if any.
    pub fn meeting(&self) -> Option<i64> {
        self.payload.object.as_ref()?.id.map(|id| id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meeting_id_reads_as_a_string_or_a_number() {
        let started: WebhookEvent = serde_json::from_str(
            r#"{"event":"meeting.started","event_ts":1700000000000,
                "payload":{"account_id":"acc","object":{"id":"85746065432","uuid":"u1==","start_time":"2026-12-03T15:00:02Z"}}}"#,
        )
        .unwrap();
        let deleted: WebhookEvent = serde_json::from_str(
            r#"{"event":"meeting.deleted","event_ts":1700000000001,"payload":{"object":{"id":85746065432,"uuid":"u1=="}}}"#,
        )
        .unwrap();
        assert_eq!(started.meeting(), Some(85_746_065_432));
        assert_eq!(deleted.meeting(), started.meeting());
        assert_eq!(started.key(), "meeting.started|u1==|1700000000000");
        assert!(serde_json::from_str::<ZoomId>(r#""85a""#).is_err());
    }

    #[test]
    fn a_recordings_share_link_and_passcode_are_secrets() {
        let done: WebhookEvent = serde_json::from_str(
            r#"{"event":"recording.completed","event_ts":1,"payload":{"object":{"id":1,"share_url":"https://zoom.us/rec/share/x","recording_play_passcode":"p4ss","recording_files":[{"download_url":"https://zoom.us/rec/download/x"}]}}}"#,
        )
        .unwrap();
        let object = done.payload.object.unwrap();
        assert!(!format!("{object:?}").contains("rec/share"));
        assert_eq!(
            object.share_url.unwrap().expose(),
            "https://zoom.us/rec/share/x"
        );
    }
}
