//! What Zoom's webhooks (Event Subscriptions of the Server-to-Server app) deliver: the event
//! types the bot reads, and how a delivery is proven to be Zoom's. Ids come as strings in some
//! events and numbers in others.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer};
use sha2::Sha256;

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
    /// `app_deauthorized`: the Zoom user who removed the app.
    #[serde(default)]
    pub user_id: Option<String>,
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

/// How far a delivery's timestamp may be from now, either way: a captured delivery replayed
/// later is refused, while Zoom's and this machine's clocks may disagree a little.
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// The event types the bot reads (besides `endpoint.url_validation`); the metrics' `event` label
/// is one of these, the validation, or `other`.
pub const KNOWN_EVENTS: [&str; 6] = [
    "app_deauthorized",
    "meeting.started",
    "meeting.ended",
    "meeting.updated",
    "meeting.deleted",
    "recording.completed",
];

/// Zoom's challenge when the endpoint URL is saved, and every 72 hours.
pub const URL_VALIDATION: &str = "endpoint.url_validation";

/// Why a delivery was not taken as Zoom's. The text names the reason only: never the signature,
/// the secret or the body, so it may be logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No `x-zm-request-timestamp`.
    #[error("no x-zm-request-timestamp header")]
    MissingTimestamp,
    /// A timestamp that is not whole seconds.
    #[error("x-zm-request-timestamp is not a number of seconds")]
    BadTimestamp,
    /// Signed more than five minutes ago.
    #[error("x-zm-request-timestamp is more than 5 minutes old")]
    Stale,
    /// Signed more than five minutes ahead of this machine's clock.
    #[error("x-zm-request-timestamp is more than 5 minutes in the future")]
    Future,
    /// No `x-zm-signature`.
    #[error("no x-zm-signature header")]
    MissingSignature,
    /// A signature that is not the secret's over this timestamp and body.
    #[error("x-zm-signature does not match (is ZOOM_WEBHOOK_SECRET_TOKEN the app's Secret Token?)")]
    BadSignature,
}

impl Rejection {
    /// The metrics' outcome: `rejected_timestamp` or `rejected_signature`.
    pub fn outcome(self) -> &'static str {
        match self {
            Self::MissingTimestamp | Self::BadTimestamp | Self::Stale | Self::Future => {
                "rejected_timestamp"
            }
            Self::MissingSignature | Self::BadSignature => "rejected_signature",
        }
    }
}

fn mac(secret: &Secret) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length")
}

/// The answer to `endpoint.url_validation`: hex(HMAC-SHA256(secret, plainToken)).
pub fn url_validation(secret: &Secret, plain_token: &str) -> String {
    let mut mac = mac(secret);
    mac.update(plain_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn signed(secret: &Secret, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = mac(secret);
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

/// The `x-zm-signature` Zoom sends for `body` at `timestamp`: `v0=` and
/// hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}")). For `zoombot webhook test` and tests.
pub fn sign(secret: &Secret, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v0={}",
        hex::encode(signed(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Checks that `body` was signed by Zoom with `secret` within [`MAX_SKEW_SECONDS`] of `now`.
/// The signature is compared in constant time.
pub fn verify(
    secret: &Secret,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<(), Rejection> {
    // An unsigned post is first of all unsigned, whatever else it lacks.
    let signature = signature.ok_or(Rejection::MissingSignature)?;
    let timestamp = timestamp.ok_or(Rejection::MissingTimestamp)?;
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rejection::BadTimestamp);
    }
    let seconds: i64 = timestamp.parse().map_err(|_| Rejection::BadTimestamp)?;
    let claimed = signature
        .strip_prefix("v0=")
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(Rejection::BadSignature)?;
    signed(secret, timestamp, body)
        .verify_slice(&claimed)
        .map_err(|_| Rejection::BadSignature)?;
    // Checked only once the signature holds, so the timestamp is Zoom's own.
    let age = now.as_second().saturating_sub(seconds);
    if age > MAX_SKEW_SECONDS {
        Err(Rejection::Stale)
    } else if age < -MAX_SKEW_SECONDS {
        Err(Rejection::Future)
    } else {
        Ok(())
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

    fn secret() -> Secret {
        Secret::new("whsec-test")
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn url_validation_is_the_hex_hmac_of_the_plain_token() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            url_validation(&Secret::new("Jefe"), "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_over_the_timestamp_and_body_verifies_within_five_minutes() {
        let body = br#"{"event":"meeting.started"}"#;
        let sig = sign(&secret(), "1700000000", body);
        assert!(sig.starts_with("v0=") && sig.len() == 67, "{sig}");
        let check = |now, sig: &str, body: &[u8]| {
            verify(&secret(), Some("1700000000"), Some(sig), body, at(now))
        };
        assert_eq!(check(1_700_000_000 + 300, &sig, body), Ok(()));
        assert_eq!(check(1_700_000_000 - 300, &sig, body), Ok(()));
        assert_eq!(
            check(1_700_000_000 + 301, &sig, body),
            Err(Rejection::Stale)
        );
        assert_eq!(
            check(1_700_000_000 - 301, &sig, body),
            Err(Rejection::Future)
        );
        assert_eq!(
            check(1_700_000_000, &sig, b"{}"),
            Err(Rejection::BadSignature)
        );
        let upper = format!("v0={}", sig[3..].to_uppercase());
        assert_eq!(
            check(1_700_000_000, &upper, body),
            Ok(()),
            "hex is case-free"
        );
        assert_eq!(
            check(1_700_000_000, &sig[3..], body),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(1_700_000_000, "v0=zz", body),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn each_missing_or_malformed_header_is_its_own_rejection() {
        let sig = sign(&secret(), "1700000000", b"{}");
        let now = at(1_700_000_000);
        let check = |ts: Option<&str>, sig: Option<&str>| verify(&secret(), ts, sig, b"{}", now);
        assert_eq!(check(None, Some(&sig)), Err(Rejection::MissingTimestamp));
        assert_eq!(
            check(Some("1700000000"), None),
            Err(Rejection::MissingSignature)
        );
        for ts in [
            "",
            "soon",
            "+1700000000",
            "1700000000.5",
            "99999999999999999999",
        ] {
            assert_eq!(
                check(Some(ts), Some(&sig)),
                Err(Rejection::BadTimestamp),
                "{ts}"
            );
        }
        assert_eq!(Rejection::Future.outcome(), "rejected_timestamp");
        assert_eq!(Rejection::BadSignature.outcome(), "rejected_signature");
    }
}
