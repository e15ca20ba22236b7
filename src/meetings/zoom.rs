//! What the service needs of Zoom, as a trait: the real client in production, an in-memory
//! Zoom in the service's own tests.

use std::future::Future;
use std::pin::Pin;

use crate::zoom::meetings::Known;
use crate::zoom::model::{Meeting, MeetingId, NewMeeting, User};
use crate::zoom::{ZoomClient, ZoomError};

/// A boxed Zoom answer, so the trait stays object-safe.
pub type ZoomFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ZoomError>> + Send + 'a>>;

/// The Zoom calls the service makes.
pub trait Zoom: Send + Sync {
    /// The Zoom user meetings are created under when a server sets none.
    fn host_user(&self) -> &str;
    /// Whether a server may have its meetings created under `user`.
    fn may_host(&self, user: &str) -> bool;
    /// Creates a meeting, never adopting one `known` says is someone's (see
    /// [`ZoomClient::create_meeting_unless`]).
    fn create_meeting<'a>(
        &'a self,
        user: &'a str,
        meeting: &'a NewMeeting,
        known: Known<'a>,
    ) -> ZoomFuture<'a, Meeting>;
    /// A meeting with a fresh start link.
    fn get_meeting(&self, id: MeetingId) -> ZoomFuture<'_, Meeting>;
    /// Deletes a meeting.
    fn delete_meeting(&self, id: MeetingId) -> ZoomFuture<'_, ()>;
    /// A user of the account.
    fn get_user<'a>(&'a self, user: &'a str) -> ZoomFuture<'a, User>;
}

impl Zoom for ZoomClient {
    fn host_user(&self) -> &str {
        ZoomClient::host_user(self)
    }

    fn may_host(&self, user: &str) -> bool {
        ZoomClient::may_host(self, user)
    }

    fn create_meeting<'a>(
        &'a self,
        user: &'a str,
        meeting: &'a NewMeeting,
        known: Known<'a>,
    ) -> ZoomFuture<'a, Meeting> {
        Box::pin(self.create_meeting_unless(user, meeting, known))
    }

    fn get_meeting(&self, id: MeetingId) -> ZoomFuture<'_, Meeting> {
        Box::pin(ZoomClient::get_meeting(self, id))
    }

    fn delete_meeting(&self, id: MeetingId) -> ZoomFuture<'_, ()> {
        Box::pin(ZoomClient::delete_meeting(self, id))
    }

    fn get_user<'a>(&'a self, user: &'a str) -> ZoomFuture<'a, User> {
        Box::pin(ZoomClient::get_user(self, user))
    }
}
