//! The Meetings API: create, get, list, update, delete (of a meeting, a series or one of its
//! occurrences), and the user lookup `doctor` needs.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::answer::{json_body, parse};
use super::client::ZoomClient;
use super::error::{FieldError, ZoomError};
use super::model::{
    Meeting, MeetingId, MeetingPage, MeetingSummary, MeetingUpdate, NewMeeting, User,
};
use jiff::{SignedDuration, Timestamp};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Zoom's `created_at` has whole seconds, and its clock is not ours: a meeting created by our
/// attempt may carry a `created_at` slightly before the moment we sent it. Missing our own meeting
/// would mean a duplicate; a look-alike made in this window is excluded by what follows (issued,
/// known, or several candidates refused).
const CREATED_AT_SLACK: SignedDuration = SignedDuration::from_secs(2);

/// Sends of one create at most, each after a search that showed the one before made nothing.
const MAX_CREATE_SENDS: u32 = 3;

/// One create, as its ambiguous failure is checked.
struct Attempt<'a, 'k> {
    user: &'a str,
    meeting: &'a NewMeeting,
    began: Timestamp,
    known: Known<'k>,
}

/// Meetings this process has handed out (created or adopted), with their start: an ambiguous
/// create must never adopt one of them, or one caller would get another's host link.
#[derive(Debug, Default)]
pub(crate) struct Issued(Mutex<HashMap<MeetingId, i64>>);

/// Above this many, meetings that started over a day ago are forgotten: an attempt's start is
/// never that far back, so they can no longer look like one.
const ISSUED_PRUNE_AT: usize = 100_000;

impl Issued {
    fn note(&self, meeting: &Meeting) {
        let mut issued = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if issued.len() >= ISSUED_PRUNE_AT {
            let day_ago = Timestamp::now().as_second() - 86_400;
            issued.retain(|_, start| *start >= day_ago);
        }
        let start = meeting.start_time.map_or(i64::MAX, Timestamp::as_second);
        issued.insert(meeting.id, start);
    }

    fn contains(&self, id: MeetingId) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&id)
    }
}

/// Whether a meeting is already someone's in the caller's records (the store): such a meeting is
/// never adopted.
pub type Known<'a> = &'a (dyn Fn(MeetingId) -> KnownFuture<'a> + Sync);

/// The answer of a [`Known`] check (the store is asked asynchronously).
pub type KnownFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>>;

/// A [`Known`] check for a caller that records no meetings: none is anyone's.
pub fn none_known(_: MeetingId) -> KnownFuture<'static> {
    Box::pin(async { false })
}

impl ZoomClient {
    /// Creates a meeting under `user` (`me`, an id or an email); see [`Self::create_meeting_unless`].
    pub async fn create_meeting(
        &self,
        user: &str,
        meeting: &NewMeeting,
    ) -> Result<Meeting, ZoomError> {
        self.create_meeting_unless(user, meeting, &none_known).await
    }

    /// Creates a meeting under `user` (`me`, an id or an email).
    ///
    /// Zoom has no idempotency key, so a POST that failed ambiguously (5xx, or a timeout after
    /// sending) may still have created the meeting. Then the host's meetings are searched for
    /// one the attempt could have made: same topic, start and duration, created since the
    /// attempt was sent, and neither handed out by this client before nor `known` to the
    /// caller. Exactly one is adopted; with several, nothing is ([`ZoomError::LookAlikes`]): a
    /// look-alike may be someone else's meeting. With none after a 5xx (Zoom's finished
    /// answer), the POST is sent again, up to three sends in all; with none after a timeout,
    /// never (Zoom may still be making it), and the error says the meeting may exist.
    pub async fn create_meeting_unless(
        &self,
        user: &str,
        meeting: &NewMeeting,
        known: Known<'_>,
    ) -> Result<Meeting, ZoomError> {
        meeting.validate()?;
        let path = format!("/users/{}/meetings", path_segment(user));
        let body = json_body(meeting)?;
        let start = meeting.start_time.as_second();
        // Held until the meeting is noted as issued, so a twin's search already excludes it.
        let _alike = self
            .create_stripe(&(user, &meeting.topic, start))
            .lock()
            .await;
        let began = Timestamp::now() - CREATED_AT_SLACK;
        let attempt = Attempt {
            user,
            meeting,
            began,
            known,
        };
        let mut sends = 0;
        let created = loop {
            sends += 1;
            let err = match self
                .post("/users/{userId}/meetings", &path, body.clone())
                .await
            {
                // A 2xx whose body cannot be read was still Zoom making the meeting.
                Ok(body) => match parse(&body) {
                    Ok(created) => break created,
                    Err(err) => err,
                },
                Err(err) if err.is_ambiguous() => err,
                Err(err) => return Err(err),
            };
            // Any send may have made it: a member told "failed" about a meeting that exists
            // would never hear of it again.
            if let Some(found) = self.find_created(&attempt, &err).await? {
                break found;
            }
            // Only a 5xx is Zoom's finished answer. After a timeout Zoom may still be making the
            // meeting, so a search that found nothing proves nothing, and a resend could make
            // a second one.
            let confirmed_absent = matches!(err, ZoomError::Api { .. });
            if !confirmed_absent || sends >= MAX_CREATE_SENDS {
                return Err(err);
            }
        };
        self.issued.note(&created);
        Ok(created)
    }

    /// After `err`, an ambiguous failure of `attempt`: the meeting if Zoom made it. A failed
    /// search is reported as `err`, which says the meeting may exist.
    async fn find_created(
        &self,
        attempt: &Attempt<'_, '_>,
        err: &ZoomError,
    ) -> Result<Option<Meeting>, ZoomError> {
        tracing::warn!(error = %err, "creating a Zoom meeting failed ambiguously; checking whether it was created");
        match self.search_created(attempt).await {
            Err(ZoomError::LookAlikes(found)) => Err(ZoomError::LookAlikes(found)),
            Err(_) => Err(err.clone()),
            Ok(found) => Ok(found),
        }
    }

    /// The meeting a create of `meeting` under `user` sent since `since` made, if it made one:
    /// for a create whose process died before it heard Zoom's answer. The same search as after
    /// an ambiguous failure, and the same refusal of several look-alikes.
    pub async fn adopt_meeting(
        &self,
        user: &str,
        meeting: &NewMeeting,
        since: Timestamp,
        known: Known<'_>,
    ) -> Result<Option<Meeting>, ZoomError> {
        let start = meeting.start_time.as_second();
        let _alike = self
            .create_stripe(&(user, &meeting.topic, start))
            .lock()
            .await;
        let attempt = Attempt {
            user,
            meeting,
            began: since - CREATED_AT_SLACK,
            known,
        };
        let found = self.search_created(&attempt).await?;
        if let Some(found) = &found {
            self.issued.note(found);
        }
        Ok(found)
    }

    /// The one meeting `attempt` could have made, searched among the host's meetings.
    async fn search_created(
        &self,
        attempt: &Attempt<'_, '_>,
    ) -> Result<Option<Meeting>, ZoomError> {
        // "scheduled" also lists meetings whose start just passed (a "now" meeting), unlike "upcoming".
        let scheduled = self.list(attempt.user, "scheduled").await?;
        let wanted = attempt.meeting;
        let start = wanted.start_time.as_second();
        let mut candidates: Vec<MeetingId> = Vec::new();
        let look_alikes = scheduled
            .iter()
            .filter(|m| {
                m.topic == wanted.topic
                    && m.start_time.map(Timestamp::as_second) == Some(start)
                    && m.duration == Some(wanted.duration)
                    && m.created_at.is_some_and(|c| c >= attempt.began)
            })
            .map(|m| m.id)
            .filter(|id| !self.issued.contains(*id));
        for id in look_alikes {
            if !(attempt.known)(id).await {
                candidates.push(id);
            }
        }
        match candidates[..] {
            [] => Ok(None),
            [id] => {
                tracing::info!(meeting_id = id, "the meeting had been created; adopting it");
                self.get_meeting(id).await.map(Some)
            }
            _ => {
                tracing::error!(
                    meetings = ?candidates,
                    "after an ambiguous create failure, several meetings in Zoom look like the one asked for; \
                     none was adopted. One of them may be an orphan of this attempt: check them in Zoom and \
                     delete those no one scheduled"
                );
                Err(ZoomError::LookAlikes(candidates))
            }
        }
    }

    /// A meeting with a freshly issued start link.
    pub async fn get_meeting(&self, id: MeetingId) -> Result<Meeting, ZoomError> {
        self.get("/meetings/{meetingId}", &format!("/meetings/{id}"), &[])
            .await
    }

    /// Every upcoming meeting of `user`, following `next_page_token` to the end.
    pub async fn list_upcoming(&self, user: &str) -> Result<Vec<MeetingSummary>, ZoomError> {
        self.list(user, "upcoming").await
    }

    /// Every meeting of `user` of Zoom's list `kind`, following `next_page_token` to the end.
    async fn list(&self, user: &str, kind: &str) -> Result<Vec<MeetingSummary>, ZoomError> {
        let path = format!("/users/{}/meetings", path_segment(user));
        let mut meetings = Vec::new();
        let mut token = String::new();
        loop {
            let mut query = vec![("type", kind), ("page_size", "300")];
            if !token.is_empty() {
                query.push(("next_page_token", &token));
            }
            let page: MeetingPage = self.get("/users/{userId}/meetings", &path, &query).await?;
            meetings.extend(page.meetings);
            match page.next_page_token {
                Some(next) if !next.is_empty() && next != token => token = next,
                _ => return Ok(meetings),
            }
        }
    }

    /// A series with every occurrence, those already over included (`GET` alone lists only
    /// the ones to come).
    pub async fn get_series(&self, id: MeetingId) -> Result<Meeting, ZoomError> {
        let query = [("show_previous_occurrences", "true")];
        self.get("/meetings/{meetingId}", &format!("/meetings/{id}"), &query)
            .await
    }

    /// Changes the fields set in `update`; for a series, the whole series. Moving a series
    /// (`start_time`) needs its `recurrence` too: Zoom's spec requires it for a series update,
    /// and a new weekday or day of the month is in it. Counts against the host's 100
    /// creates/updates a day.
    pub async fn update_meeting(
        &self,
        id: MeetingId,
        update: &MeetingUpdate,
    ) -> Result<(), ZoomError> {
        update.validate()?;
        self.patch("/meetings/{meetingId}", &format!("/meetings/{id}"), update)
            .await
    }

    /// Changes one occurrence of a series: Zoom takes only its start, duration, agenda and some
    /// settings, so a topic or recurrence is refused before sending.
    pub async fn update_occurrence(
        &self,
        id: MeetingId,
        occurrence_id: &str,
        update: &MeetingUpdate,
    ) -> Result<(), ZoomError> {
        update.validate()?;
        if update.topic.is_some() || update.recurrence.is_some() {
            return Err(ZoomError::Invalid {
                message: "the update was not sent to Zoom".to_owned(),
                errors: vec![FieldError {
                    field: "occurrence_id".to_owned(),
                    message:
                        "one occurrence cannot change its topic or recurrence; update the series"
                            .to_owned(),
                }],
            });
        }
        self.patch(
            "/meetings/{meetingId}",
            &occurrence_path(id, occurrence_id),
            update,
        )
        .await
    }

    /// Deletes a meeting; for a series, every occurrence.
    pub async fn delete_meeting(&self, id: MeetingId) -> Result<(), ZoomError> {
        self.delete("/meetings/{meetingId}", &format!("/meetings/{id}"))
            .await
    }

    /// Deletes one occurrence of a series; the series and its other occurrences stay.
    pub async fn delete_occurrence(
        &self,
        id: MeetingId,
        occurrence_id: &str,
    ) -> Result<(), ZoomError> {
        self.delete("/meetings/{meetingId}", &occurrence_path(id, occurrence_id))
            .await
    }

    /// A user of the account (`me`, an id or an email).
    pub async fn get_user(&self, user: &str) -> Result<User, ZoomError> {
        let path = format!("/users/{}", path_segment(user));
        self.get("/users/{userId}", &path, &[]).await
    }
}

/// What a path segment keeps as it is: RFC 3986's unreserved characters, and `@` and `+` so an
/// email address stays readable.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'+');

/// `/meetings/{id}?occurrence_id=…`. The transport's PATCH and DELETE take no query, so it rides
/// in the path; the metrics keep the endpoint's template either way.
fn occurrence_path(id: MeetingId, occurrence_id: &str) -> String {
    let occurrence = utf8_percent_encode(occurrence_id, NON_ALPHANUMERIC);
    format!("/meetings/{id}?occurrence_id={occurrence}")
}

/// Escapes a user id or email for use as one path segment.
fn path_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_and_emails_stay_one_path_segment() {
        assert_eq!(path_segment("me"), "me");
        assert_eq!(path_segment("a.b+c@example.com"), "a.b+c@example.com");
        assert_eq!(path_segment("../x y"), "..%2Fx%20y");
    }

    #[test]
    fn an_occurrence_id_stays_one_query_value() {
        assert_eq!(
            occurrence_path(85_746_065_432, "1796652000000"),
            "/meetings/85746065432?occurrence_id=1796652000000"
        );
        assert_eq!(
            occurrence_path(1, "1&x=2#"),
            "/meetings/1?occurrence_id=1%26x%3D2%23"
        );
    }

    #[test]
    fn an_answer_that_is_not_a_meeting_is_unreadable_without_quoting_it() {
        let err = parse::<Meeting>(br#"{"id": "zak=secret"}"#).unwrap_err();

        assert!(matches!(err, ZoomError::Unreadable(_)), "{err:?}");
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(!err.is_ambiguous());
    }
}
