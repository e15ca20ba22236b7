//! What the service needs of Zoom, as a trait: the real client in production, an in-memory
//! Zoom in the service's own tests.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::zoom::auth::Bearer;
use crate::zoom::meetings::Known;
use crate::zoom::model::{Meeting, MeetingId, MeetingUpdate, NewMeeting, User};
use crate::zoom::{ZoomClient, ZoomError};

/// The Zoom calls the service makes.
#[async_trait]
pub trait Zoom: Send + Sync {
    /// The Zoom user meetings are created under when a server sets none.
    fn host_user(&self) -> &str;
    /// Whether a server may have its meetings created under `user`.
    fn may_host(&self, user: &str) -> bool;
    /// Creates a meeting, never adopting one `known` says is someone's (see
    /// [`ZoomClient::create_meeting_unless`]).
    async fn create_meeting(
        &self,
        user: &str,
        meeting: &NewMeeting,
        known: Known<'_>,
    ) -> Result<Meeting, ZoomError>;
    /// The meeting a create of `meeting` sent since `since` by a process that died made, if any
    /// (see [`ZoomClient::adopt_meeting`]).
    async fn adopt_meeting(
        &self,
        user: &str,
        meeting: &NewMeeting,
        since: Timestamp,
        known: Known<'_>,
    ) -> Result<Option<Meeting>, ZoomError>;
    /// A meeting with a fresh start link.
    async fn get_meeting(&self, id: MeetingId) -> Result<Meeting, ZoomError>;
    /// Changes a meeting (its start and length, for a reschedule).
    async fn update_meeting(&self, id: MeetingId, update: &MeetingUpdate) -> Result<(), ZoomError>;
    /// Deletes a meeting.
    async fn delete_meeting(&self, id: MeetingId) -> Result<(), ZoomError>;
    /// Deletes one occurrence of a series.
    async fn delete_occurrence(&self, id: MeetingId, occurrence_id: &str) -> Result<(), ZoomError>;
    /// A user of the account (`me`: the one the token acts as).
    async fn get_user(&self, user: &str) -> Result<User, ZoomError>;
    /// The same Zoom acting as a member, through their own tokens: their `me` is the host.
    fn acting_as(&self, member: Arc<dyn Bearer>) -> Arc<dyn Zoom>;
}

#[async_trait]
impl Zoom for ZoomClient {
    fn host_user(&self) -> &str {
        ZoomClient::host_user(self)
    }

    fn may_host(&self, user: &str) -> bool {
        ZoomClient::may_host(self, user)
    }

    async fn create_meeting(
        &self,
        user: &str,
        meeting: &NewMeeting,
        known: Known<'_>,
    ) -> Result<Meeting, ZoomError> {
        self.create_meeting_unless(user, meeting, known).await
    }

    async fn adopt_meeting(
        &self,
        user: &str,
        meeting: &NewMeeting,
        since: Timestamp,
        known: Known<'_>,
    ) -> Result<Option<Meeting>, ZoomError> {
        ZoomClient::adopt_meeting(self, user, meeting, since, known).await
    }

    async fn get_meeting(&self, id: MeetingId) -> Result<Meeting, ZoomError> {
        ZoomClient::get_meeting(self, id).await
    }

    async fn update_meeting(&self, id: MeetingId, update: &MeetingUpdate) -> Result<(), ZoomError> {
        ZoomClient::update_meeting(self, id, update).await
    }

    async fn delete_meeting(&self, id: MeetingId) -> Result<(), ZoomError> {
        ZoomClient::delete_meeting(self, id).await
    }

    async fn delete_occurrence(&self, id: MeetingId, occurrence_id: &str) -> Result<(), ZoomError> {
        ZoomClient::delete_occurrence(self, id, occurrence_id).await
    }

    async fn get_user(&self, user: &str) -> Result<User, ZoomError> {
        ZoomClient::get_user(self, user).await
    }

    fn acting_as(&self, member: Arc<dyn Bearer>) -> Arc<dyn Zoom> {
        Arc::new(ZoomClient::acting_as(self, member))
    }
}
