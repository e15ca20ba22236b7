//! Serde types that follow Zoom's Meetings API spec. Responses tolerate unknown fields; secrets
//! (start links, passcodes) are [`Secret`]s.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::{FieldError, ZoomError};
use crate::secret::Secret;

mod recurrence;

pub use recurrence::{
    END_TIMES_MAX, Occurrence, OccurrenceStatus, RECURRING_FIXED_TIME, Recurrence, SCHEDULED,
};

pub use crate::scheduling::plan::{AGENDA_MAX, PASSCODE_MAX, TOPIC_MAX, valid_passcode};

/// A Zoom meeting id (Zoom's spec: int64).
pub type MeetingId = i64;

/// Who records the meeting automatically: the domain's choice, already spelled as Zoom's spec.
pub use crate::scheduling::plan::Recording as AutoRecording;

/// Audio options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audio {
    /// Telephony and `VoIP`.
    #[serde(rename = "both")]
    Both,
    /// Telephony only.
    #[serde(rename = "telephony")]
    Telephony,
    /// `VoIP` only.
    #[serde(rename = "voip")]
    Voip,
    /// Third-party audio.
    #[serde(rename = "thirdParty")]
    ThirdParty,
}

/// The meeting settings the bot controls; absent ones are left to Zoom's account defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingSettings {
    /// Start with the host's video on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_video: Option<bool>,
    /// Start with participants' video on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_video: Option<bool>,
    /// Let participants join before the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_before_host: Option<bool>,
    /// Mute participants when they join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_upon_entry: Option<bool>,
    /// Hold participants in a waiting room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_room: Option<bool>,
    /// Registration: 0 automatic, 1 manual, 2 none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_type: Option<u8>,
    /// Audio options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<Audio>,
    /// Automatic recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_recording: Option<AutoRecording>,
}

/// The body of `POST /users/{userId}/meetings`: a scheduled meeting (type 2) or a series with a
/// fixed time (type 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMeeting {
    /// The meeting's topic, at most [`TOPIC_MAX`] characters.
    pub topic: String,
    /// [`SCHEDULED`] (2) or [`RECURRING_FIXED_TIME`] (8).
    #[serde(rename = "type")]
    pub kind: u8,
    /// The start, sent as UTC (`…Z`).
    #[serde(serialize_with = "utc_seconds")]
    pub start_time: Timestamp,
    /// Minutes.
    pub duration: u32,
    /// The IANA zone the meeting is shown in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// At most [`AGENDA_MAX`] characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda: Option<String>,
    /// At most [`PASSCODE_MAX`] characters of `[A-Za-z0-9@-_*]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Let Zoom generate a passcode when none is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_password: Option<bool>,
    /// Settings.
    pub settings: MeetingSettings,
    /// How a type 8 series repeats; absent for a single meeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
}

impl NewMeeting {
    /// A scheduled meeting with Zoom's account defaults for everything else.
    pub fn new(topic: impl Into<String>, start_time: Timestamp, duration: u32) -> Self {
        Self {
            topic: topic.into(),
            kind: SCHEDULED,
            start_time,
            duration,
            timezone: None,
            agenda: None,
            password: None,
            default_password: None,
            settings: MeetingSettings::default(),
            recurrence: None,
        }
    }

    /// A series with a fixed time (type 8) whose first meeting starts at `start_time`. Zoom
    /// repeats it at the same wall-clock time in `timezone`, so that must be the zone the start
    /// was read in: left out, Zoom would use the host account's zone, and a change of summer time
    /// there would move the meetings.
    pub fn recurring(
        topic: impl Into<String>,
        start_time: Timestamp,
        duration: u32,
        timezone: impl Into<String>,
        recurrence: Recurrence,
    ) -> Self {
        Self {
            kind: RECURRING_FIXED_TIME,
            timezone: Some(timezone.into()),
            recurrence: Some(recurrence),
            ..Self::new(topic, start_time, duration)
        }
    }

    /// Checks Zoom's limits before sending, so a bad value fails fast with a clear message.
    pub fn validate(&self) -> Result<(), ZoomError> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: &str, message: String| {
            if !ok {
                errors.push(FieldError {
                    field: field.to_owned(),
                    message,
                });
            }
        };
        let topic_len = self.topic.chars().count();
        check(
            !self.topic.trim().is_empty(),
            "topic",
            "must not be empty".to_owned(),
        );
        check(
            topic_len <= TOPIC_MAX,
            "topic",
            format!("is {topic_len} characters; at most {TOPIC_MAX}"),
        );
        if let Some(agenda) = &self.agenda {
            let n = agenda.chars().count();
            check(
                n <= AGENDA_MAX,
                "agenda",
                format!("is {n} characters; at most {AGENDA_MAX}"),
            );
        }
        if let Some(password) = &self.password {
            check(
                valid_passcode(password.expose()),
                "password",
                format!(
                    "a passcode has 1 to {PASSCODE_MAX} characters: letters, digits and @ - _ *"
                ),
            );
        }
        check(
            self.duration > 0,
            "duration",
            "must be at least one minute".to_owned(),
        );
        errors.extend(recurrence::kind_problems(
            self.kind,
            self.recurrence.as_ref(),
            self.timezone.as_deref(),
        ));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ZoomError::Invalid {
                message: "the meeting was not sent to Zoom".to_owned(),
                errors,
            })
        }
    }
}

fn utc_seconds<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.strftime("%Y-%m-%dT%H:%M:%SZ"))
}

/// The body of `PATCH /meetings/{meetingId}`; only the fields set are changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MeetingUpdate {
    /// New topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// New start, sent as UTC.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_utc_seconds"
    )]
    pub start_time: Option<Timestamp>,
    /// New duration in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// New agenda.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda: Option<String>,
    /// New settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<MeetingSettings>,
    /// A series' new recurrence. Zoom's spec requires it to update a whole type 8 series, and a
    /// series moved to another weekday or day of the month needs the new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
}

impl MeetingUpdate {
    /// Moves a meeting (or one occurrence) to `start_time`, lasting `duration` minutes.
    pub fn reschedule(start_time: Timestamp, duration: u32) -> Self {
        Self {
            start_time: Some(start_time),
            duration: Some(duration),
            ..Self::default()
        }
    }

    /// Checks what the client can before sending, like [`NewMeeting::validate`].
    pub fn validate(&self) -> Result<(), ZoomError> {
        let mut errors = self
            .recurrence
            .as_ref()
            .map(Recurrence::problems)
            .unwrap_or_default();
        if self.duration == Some(0) {
            errors.push(FieldError {
                field: "duration".to_owned(),
                message: "must be at least one minute".to_owned(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ZoomError::Invalid {
                message: "the update was not sent to Zoom".to_owned(),
                errors,
            })
        }
    }
}

#[allow(clippy::ref_option)] // serde's serialize_with hands over `&Option<T>`
fn opt_utc_seconds<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => utc_seconds(t, s),
        None => s.serialize_none(),
    }
}

/// A meeting as `POST /users/{userId}/meetings` and `GET /meetings/{meetingId}` return it.
#[derive(Debug, Clone, Deserialize)]
pub struct Meeting {
    /// The meeting number.
    pub id: MeetingId,
    /// What tells this meeting from a later one with the same number (Zoom reuses numbers);
    /// `GET` gives it, the create answer does not.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The topic.
    #[serde(default)]
    pub topic: String,
    /// Start instant; absent for meetings without a fixed time.
    #[serde(default)]
    pub start_time: Option<Timestamp>,
    /// Minutes.
    #[serde(default)]
    pub duration: Option<u32>,
    /// The IANA zone the meeting is shown in.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The agenda.
    #[serde(default)]
    pub agenda: Option<String>,
    /// When Zoom created it.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// The link participants join with.
    pub join_url: String,
    /// The host's link: a credential, valid about two hours.
    #[serde(default)]
    pub start_url: Option<Secret>,
    /// The passcode.
    #[serde(default)]
    pub password: Option<Secret>,
    /// The host's Zoom user id.
    #[serde(default)]
    pub host_id: Option<String>,
    /// The settings Zoom applied.
    #[serde(default)]
    pub settings: Option<MeetingSettings>,
    /// A series' recurrence.
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    /// A series' meetings (`GET` lists only those not yet over unless asked for previous ones).
    #[serde(default)]
    pub occurrences: Vec<Occurrence>,
}

/// A meeting as listed by `GET /users/{userId}/meetings` (no start link, no passcode).
#[derive(Debug, Clone, Deserialize)]
pub struct MeetingSummary {
    /// The meeting number.
    pub id: MeetingId,
    /// The topic.
    #[serde(default)]
    pub topic: String,
    /// Start instant.
    #[serde(default)]
    pub start_time: Option<Timestamp>,
    /// Minutes.
    #[serde(default)]
    pub duration: Option<u32>,
    /// The IANA zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// When Zoom created it.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// The join link.
    #[serde(default)]
    pub join_url: Option<String>,
}

/// One page of `GET /users/{userId}/meetings`.
#[derive(Debug, Deserialize)]
pub struct MeetingPage {
    /// The token of the next page; empty or absent on the last.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// This page's meetings.
    #[serde(default)]
    pub meetings: Vec<MeetingSummary>,
}

/// A Zoom user, as `GET /users/{userId}` returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// The user id.
    pub id: String,
    /// The email address.
    #[serde(default)]
    pub email: String,
    /// Display name, when Zoom gives one.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `active`, `inactive` or `pending`.
    #[serde(default)]
    pub status: Option<String>,
}

#[cfg(test)]
mod tests;
