//! The Meetings API: create, get, list, update, delete, and the user lookup `doctor` needs.

use std::fmt::Write;

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{Call, ZoomClient};
use super::error::ZoomError;
use super::model::{
    Meeting, MeetingId, MeetingPage, MeetingSummary, MeetingUpdate, NewMeeting, User,
};

/// Zoom's `created_at` has whole seconds, and its clock is not ours: a meeting created by our
/// attempt may carry a `created_at` slightly before the moment we sent it.
const CREATED_AT_SLACK: SignedDuration = SignedDuration::from_secs(2);

impl ZoomClient {
    /// Creates a meeting under `user` (`me`, an id or an email).
    ///
    /// Zoom has no idempotency key, so a POST that failed ambiguously (5xx, or a timeout after
    /// sending) may still have created the meeting. Then the host's upcoming meetings are
    /// searched for one with the same topic and start created since the attempt began; it is
    /// adopted if found, and only otherwise is the POST sent once more — never a third time. If
    /// that one fails ambiguously too, the search is made again before giving up.
    pub async fn create_meeting(
        &self,
        user: &str,
        meeting: &NewMeeting,
    ) -> Result<Meeting, ZoomError> {
        meeting.validate()?;
        let path = format!("/users/{}/meetings", path_segment(user));
        let call = Call {
            method: Method::POST,
            endpoint: "/users/{userId}/meetings",
            path: &path,
            query: &[],
            body: Some(json_body(meeting)?),
        };
        let start = meeting.start_time.as_second();
        let _alike = self
            .create_stripe(&(user, &meeting.topic, start))
            .lock()
            .await;
        let began = Timestamp::now() - CREATED_AT_SLACK;
        let first = match self.execute(&call).await {
            Ok(body) => return parse(&body),
            Err(err) if err.is_ambiguous() => err,
            Err(err) => return Err(err),
        };
        if let Some(found) = self.find_created(user, meeting, began, &first).await? {
            return Ok(found);
        }
        let second = match self.execute(&call).await {
            Ok(body) => return parse(&body),
            Err(err) if err.is_ambiguous() => err,
            Err(err) => return Err(err),
        };
        // The second send may have created it just as well: a member told "failed" about a
        // meeting that exists would never hear of it again.
        match self.find_created(user, meeting, began, &second).await? {
            Some(found) => Ok(found),
            None => Err(second),
        }
    }

    /// After `err`, an ambiguous failure to create `meeting`: the meeting if Zoom made it since
    /// `began`. A failed search is reported as `err`, which says the meeting may exist.
    async fn find_created(
        &self,
        user: &str,
        meeting: &NewMeeting,
        began: Timestamp,
        err: &ZoomError,
    ) -> Result<Option<Meeting>, ZoomError> {
        tracing::warn!(error = %err, "creating a Zoom meeting failed ambiguously; checking whether it was created");
        // "scheduled" also lists meetings whose start just passed (a "now" meeting), unlike "upcoming".
        let scheduled = self
            .list(user, "scheduled")
            .await
            .map_err(|_| err.clone())?;
        let start = meeting.start_time.as_second();
        let Some(found) = scheduled.iter().find(|m| {
            m.topic == meeting.topic
                && m.start_time.map(Timestamp::as_second) == Some(start)
                && m.duration == Some(meeting.duration)
                && m.created_at.is_some_and(|c| c >= began)
        }) else {
            return Ok(None);
        };
        tracing::info!(
            meeting_id = found.id,
            "the meeting had been created; adopting it"
        );
        self.get_meeting(found.id).await.map(Some)
    }

    /// A meeting with a freshly issued start link.
    pub async fn get_meeting(&self, id: MeetingId) -> Result<Meeting, ZoomError> {
        let path = format!("/meetings/{id}");
        let body = self
            .execute(&Call {
                method: Method::GET,
                endpoint: "/meetings/{meetingId}",
                path: &path,
                query: &[],
                body: None,
            })
            .await?;
        parse(&body)
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
            let body = self
                .execute(&Call {
                    method: Method::GET,
                    endpoint: "/users/{userId}/meetings",
                    path: &path,
                    query: &query,
                    body: None,
                })
                .await?;
            let page: MeetingPage = parse(&body)?;
            meetings.extend(page.meetings);
            match page.next_page_token {
                Some(next) if !next.is_empty() && next != token => token = next,
                _ => return Ok(meetings),
            }
        }
    }

    /// Changes the fields set in `update`.
    pub async fn update_meeting(
        &self,
        id: MeetingId,
        update: &MeetingUpdate,
    ) -> Result<(), ZoomError> {
        let path = format!("/meetings/{id}");
        let call = Call {
            method: Method::PATCH,
            endpoint: "/meetings/{meetingId}",
            path: &path,
            query: &[],
            body: Some(json_body(update)?),
        };
        self.execute(&call).await.map(drop)
    }

    /// Deletes a meeting.
    pub async fn delete_meeting(&self, id: MeetingId) -> Result<(), ZoomError> {
        let path = format!("/meetings/{id}");
        self.execute(&Call {
            method: Method::DELETE,
            endpoint: "/meetings/{meetingId}",
            path: &path,
            query: &[],
            body: None,
        })
        .await
        .map(drop)
    }

    /// A user of the account (`me`, an id or an email).
    pub async fn get_user(&self, user: &str) -> Result<User, ZoomError> {
        let path = format!("/users/{}", path_segment(user));
        let body = self
            .execute(&Call {
                method: Method::GET,
                endpoint: "/users/{userId}",
                path: &path,
                query: &[],
                body: None,
            })
            .await?;
        parse(&body)
    }
}

fn json_body(value: &impl Serialize) -> Result<Vec<u8>, ZoomError> {
    serde_json::to_vec(value).map_err(|e| ZoomError::Invalid {
        message: e.to_string(),
        errors: Vec::new(),
    })
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ZoomError> {
    serde_json::from_slice(body).map_err(|e| ZoomError::Api {
        status: 200,
        code: None,
        // Not `{e}`: serde quotes the offending value, and values can be secrets.
        message: format!(
            "Zoom's answer could not be read ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
    })
}

/// Escapes a user id or email for use as one path segment.
fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@+".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
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
}
