//! The service against an in-memory Zoom and [`MemoryStore`]: limits given back, permissions and
//! the precedence of zones, without a network.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

mod accounts;
mod lifecycle;
mod reschedule;
mod series;
mod unfinished;
mod webhooks;

use super::*;
use crate::ids::ChannelId;
use crate::scheduling::Cooldown;
use crate::store::{MemoryStore, SettingsChange};
use crate::zoom::meetings::Known;
use crate::zoom::model::{MeetingId, User};
use crate::zoom::{Missing, ZoomError};

/// Zoom in memory: meetings by id, what each create was asked, and failures to answer next.
#[derive(Default)]
pub(super) struct MemoryZoom {
    pub(super) meetings: Mutex<HashMap<MeetingId, Meeting>>,
    asked: Mutex<Vec<NewMeeting>>,
    fail_next: Mutex<VecDeque<ZoomError>>,
    next_id: AtomicI64,
}

impl MemoryZoom {
    fn fail_next(&self, err: ZoomError) {
        self.fail_next.lock().unwrap().push_back(err);
    }

    fn count(&self) -> usize {
        self.meetings.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl Zoom for MemoryZoom {
    fn host_user(&self) -> &'static str {
        "me"
    }

    fn may_host(&self, user: &str) -> bool {
        user == "me"
    }

    async fn create_meeting(
        &self,
        _user: &str,
        meeting: &NewMeeting,
        _known: Known<'_>,
    ) -> Result<Meeting, ZoomError> {
        self.asked.lock().unwrap().push(meeting.clone());
        if let Some(err) = self.fail_next.lock().unwrap().pop_front() {
            return Err(err);
        }
        let id = 10_000_000_000 + self.next_id.fetch_add(1, Ordering::SeqCst);
        let created = Meeting {
            id,
            uuid: None,
            topic: meeting.topic.clone(),
            start_time: Some(meeting.start_time),
            duration: Some(meeting.duration),
            timezone: meeting.timezone.clone(),
            agenda: meeting.agenda.clone(),
            created_at: Some(Timestamp::now()),
            join_url: format!("https://zoom.us/j/{id}"),
            start_url: Some(Secret::new(format!("https://zoom.us/s/{id}?zak=z"))),
            password: None,
            host_id: None,
            settings: None,
            recurrence: meeting.recurrence.clone(),
            occurrences: Vec::new(),
        };
        self.meetings.lock().unwrap().insert(id, created.clone());
        Ok(created)
    }

    async fn adopt_meeting(
        &self,
        _user: &str,
        meeting: &NewMeeting,
        since: Timestamp,
        known: Known<'_>,
    ) -> Result<Option<Meeting>, ZoomError> {
        let alike: Vec<Meeting> = self
            .meetings
            .lock()
            .unwrap()
            .values()
            .filter(|m| {
                m.topic == meeting.topic
                    && m.start_time == Some(meeting.start_time)
                    && m.created_at.is_some_and(|c| c >= since)
            })
            .cloned()
            .collect();
        let mut unknown = Vec::new();
        for m in alike {
            if !known(m.id).await {
                unknown.push(m);
            }
        }
        match unknown.len() {
            0 | 1 => Ok(unknown.pop()),
            _ => Err(ZoomError::LookAlikes(
                unknown.iter().map(|m| m.id).collect(),
            )),
        }
    }

    fn acting_as(&self, _: Arc<dyn crate::zoom::auth::Bearer>) -> Arc<dyn Zoom> {
        unreachable!(
            "members' own accounts are tested against the fake Zoom (tests/it/accounts.rs)"
        )
    }

    async fn get_meeting(&self, id: MeetingId) -> Result<Meeting, ZoomError> {
        self.meetings
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .ok_or_else(|| ZoomError::NotFound(Missing::Meeting(id.to_string())))
    }

    async fn update_meeting(
        &self,
        id: MeetingId,
        update: &crate::zoom::model::MeetingUpdate,
    ) -> Result<(), ZoomError> {
        if let Some(err) = self.fail_next.lock().unwrap().pop_front() {
            return Err(err);
        }
        let mut meetings = self.meetings.lock().unwrap();
        let meeting = meetings
            .get_mut(&id)
            .ok_or_else(|| ZoomError::NotFound(Missing::Meeting(id.to_string())))?;
        if let Some(start) = update.start_time {
            meeting.start_time = Some(start);
        }
        if let Some(duration) = update.duration {
            meeting.duration = Some(duration);
        }
        Ok(())
    }

    async fn delete_meeting(&self, id: MeetingId) -> Result<(), ZoomError> {
        self.meetings
            .lock()
            .unwrap()
            .remove(&id)
            .map(drop)
            .ok_or_else(|| ZoomError::NotFound(Missing::Meeting(id.to_string())))
    }

    async fn delete_occurrence(&self, id: MeetingId, occurrence_id: &str) -> Result<(), ZoomError> {
        let start: i64 = occurrence_id.parse().expect("epoch milliseconds");
        let mut meetings = self.meetings.lock().unwrap();
        let meeting = meetings
            .get_mut(&id)
            .ok_or_else(|| ZoomError::NotFound(Missing::Meeting(id.to_string())))?;
        meeting
            .occurrences
            .retain(|o| o.start_time.as_millisecond() != start);
        Ok(())
    }

    async fn get_user(&self, user: &str) -> Result<User, ZoomError> {
        Err(ZoomError::NotFound(Missing::User(user.to_owned())))
    }
}

pub(super) fn service() -> (Meetings, Arc<MemoryZoom>, Arc<MemoryStore>) {
    let zoom = Arc::new(MemoryZoom::default());
    let store = Arc::new(MemoryStore::new());
    let service = Meetings::new(
        Arc::clone(&zoom) as Arc<dyn Zoom>,
        Arc::clone(&store) as Arc<dyn Store>,
    );
    (service, zoom, store)
}

pub(super) fn member(id: u64) -> Requester {
    Requester {
        guild: GuildId(1),
        channel: ChannelId(2),
        member: MemberId(id),
        manage_guild: false,
        roles: vec![],
    }
}

pub(super) fn topic(topic: &str) -> MeetInput {
    MeetInput {
        topic: topic.into(),
        when: Some("tomorrow 15:00".into()),
        ..MeetInput::default()
    }
}

fn refused() -> ZoomError {
    ZoomError::Invalid {
        message: "Invalid field.".into(),
        errors: Vec::new(),
    }
}

pub(super) fn server_error() -> ZoomError {
    ZoomError::Api {
        status: 500,
        code: None,
        message: "Internal Server Error".into(),
    }
}

#[tokio::test]
async fn a_create_zoom_refused_gives_the_cooldown_slot_back() {
    let (service, zoom, store) = service();
    let one_in_ten_minutes = GuildSettings {
        cooldown: Some(Cooldown {
            count: 1,
            window_minutes: 10,
        }),
        ..GuildSettings::default()
    };
    store
        .update_guild_settings(GuildId(1), SettingsChange::Set(&one_in_ten_minutes))
        .await
        .unwrap();
    zoom.fail_next(refused());

    assert!(service.create(&member(1), &topic("a")).await.is_err());
    service
        .create(&member(1), &topic("b"))
        .await
        .expect("the refused create cost nothing");
    let third = service.create(&member(1), &topic("c")).await;

    assert!(
        matches!(third, Err(ServiceError::TooMany { .. })),
        "{third:?}"
    );
    assert_eq!(zoom.count(), 1);
}

#[tokio::test]
async fn a_meeting_that_cannot_be_recorded_is_undone_at_zoom_and_costs_the_server_nothing() {
    let (service, zoom, store) = service();
    // The host's count stays spent: Zoom counted the create, and a delete does not give it back.
    let service = service.with_limits(Limits {
        per_server_per_day: 1,
        per_host_per_day: 2,
        ..Limits::DEFAULT
    });
    store.fail_flushes(true);

    let refused = service.create(&member(1), &topic("a")).await;

    assert!(
        matches!(refused, Err(ServiceError::Store(_))),
        "{refused:?}"
    );
    assert_eq!(zoom.count(), 0, "the meeting made at Zoom was deleted");
    assert!(
        service
            .upcoming(&member(1), Scope::Channel)
            .await
            .unwrap()
            .is_empty(),
        "the record that may have landed is kept out of the lists"
    );
    store.fail_flushes(false);
    service
        .create(&member(1), &topic("b"))
        .await
        .expect("the server's one meeting of the day was given back");
}

#[tokio::test]
async fn an_uncertain_failure_keeps_the_hosts_count_spent_but_not_the_servers() {
    let (service, zoom, _) = service();
    let service = service.with_limits(Limits {
        per_server_per_day: 1,
        per_host_per_day: 1,
        ..Limits::DEFAULT
    });
    zoom.fail_next(server_error());

    assert!(service.create(&member(1), &topic("a")).await.is_err());
    let again = service.create(&member(2), &topic("b")).await;

    // The server's one meeting was given back; the host's may have been made at Zoom.
    assert!(
        matches!(
            again,
            Err(ServiceError::Zoom(ZoomError::RateLimited {
                daily: true,
                ..
            }))
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn only_the_creator_gets_the_host_link_and_a_manager_may_cancel() {
    let (service, zoom, _) = service();
    let created = service.create(&member(1), &topic("a")).await.unwrap();
    let id = created.meeting.id;

    let other = service.host_link(&member(2), id).await;
    assert!(matches!(other, Err(ServiceError::NotCreator)), "{other:?}");
    let cancel = service.cancel(&member(2), id).await;
    assert!(
        matches!(cancel, Err(ServiceError::NotAllowedToCancel)),
        "{cancel:?}"
    );
    assert_eq!(zoom.count(), 1, "nothing was deleted");

    let manager = Requester {
        manage_guild: true,
        ..member(3)
    };
    let record = service.cancel(&manager, id).await.unwrap();
    assert!(record.cancelled);
    assert_eq!(zoom.count(), 0);
    let twice = service.cancel(&manager, id).await;
    assert!(
        matches!(twice, Err(ServiceError::AlreadyCancelled)),
        "{twice:?}"
    );
}

#[tokio::test]
async fn the_command_zone_beats_the_members_which_beats_the_servers() {
    let (service, zoom, store) = service();
    let tokyo = GuildSettings {
        timezone: Some("Asia/Tokyo".into()),
        ..GuildSettings::default()
    };
    store
        .update_guild_settings(GuildId(1), SettingsChange::Set(&tokyo))
        .await
        .unwrap();
    service
        .create(&member(1), &topic("server's"))
        .await
        .unwrap();
    service
        .set_member_timezone(MemberId(1), Some("Europe/Berlin"))
        .await
        .unwrap();
    service
        .create(&member(1), &topic("member's"))
        .await
        .unwrap();
    let command = MeetInput {
        timezone: Some("America/New_York".into()),
        ..topic("command's")
    };
    service.create(&member(1), &command).await.unwrap();

    let zones: Vec<Option<String>> = zoom
        .asked
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.timezone.clone())
        .collect();
    assert_eq!(
        zones,
        [
            Some("Asia/Tokyo".to_owned()),
            Some("Europe/Berlin".to_owned()),
            Some("America/New_York".to_owned())
        ]
    );
}
