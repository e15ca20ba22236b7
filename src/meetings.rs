//! The service every front end calls: create, list, cancel, host link. Settings → plan → Zoom →
//! record. Knows nothing of Discord: its callers hand it plain ids.

pub mod accounts;
mod create;
mod error;
pub mod lifecycle;
mod limits;
mod recorded;
mod reschedule;
mod settings;
#[cfg(test)]
mod tests;
pub mod unfinished;
pub mod webhooks;
mod zoom;

use std::sync::Arc;

use jiff::Timestamp;

use crate::ids::{ChannelId, GuildId, MemberId, MessageId, RoleId};
use crate::scheduling::hosting::Hosting;
use crate::scheduling::plan::{Defaults, MeetInput, MeetingPlan, plan};
use crate::secret::Secret;
use crate::store::{GuildSettings, MeetingChange, MeetingRecord, MemberPrefs, Store};
use crate::zoom::meetings::none_known;
use crate::zoom::model::{Meeting, NewMeeting, Recurrence};

pub use accounts::{Accounts, LinkError, LinkNotice, LinkOutcome, LinkStatus};
pub use error::ServiceError;
pub use lifecycle::{DueReminder, EventProblem, Herald, HeraldError, Pass};
pub use limits::Limits;
pub use reschedule::{RescheduleInput, Rescheduled};
pub use settings::{EffectiveSettings, SettingsInput};
pub use zoom::Zoom;

/// Who is asking, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// The server.
    pub guild: GuildId,
    /// The channel.
    pub channel: ChannelId,
    /// The member.
    pub member: MemberId,
    /// Whether the member has Manage Server (as Discord computed it for this interaction).
    pub manage_guild: bool,
    /// The member's roles in this server.
    pub roles: Vec<RoleId>,
}

/// Which of a server's meetings a list shows. A meeting belongs to the channel it was scheduled
/// in: its topic may be meant only for those who can read that channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The requester's channel, plus the requester's own meetings anywhere in the server.
    #[default]
    Channel,
    /// Every meeting of the server (Manage Server only).
    Server,
}

impl Scope {
    /// Whether a list in this scope shows `meeting` to `who`.
    fn shows(self, meeting: &MeetingRecord, who: &Requester) -> bool {
        self == Self::Server || meeting.channel == who.channel || meeting.creator == who.member
    }
}

/// A meeting just created: what was planned and what Zoom made of it.
#[derive(Debug, Clone)]
pub struct Created {
    /// The checked plan (start in the zone it was read in).
    pub plan: MeetingPlan,
    /// Zoom's meeting, with its join link, start link and passcode.
    pub meeting: Meeting,
    /// What the store keeps of it.
    pub record: MeetingRecord,
    /// The server wants the host link sent by direct message too.
    pub dm_host_link: bool,
    /// The server lists meetings in its Events tab.
    pub events: bool,
    /// The email of the member's own Zoom account it is hosted in; `None`: the server's host.
    pub member_host: Option<String>,
    /// Why the meeting has no Discord event, when the server wants one and Discord refused.
    pub event_problem: Option<EventProblem>,
}

/// The meetings service.
pub struct Meetings {
    zoom: Arc<dyn Zoom>,
    store: Arc<dyn Store>,
    limits: Limits,
    /// Members' own Zoom accounts, when the operator set up the user app.
    accounts: Option<Arc<Accounts>>,
    /// Told when a reminder was scheduled or moved, so the scheduler looks at the index again.
    reminders_changed: tokio::sync::Notify,
    /// Told when a webhook event was received, so the worker applies it.
    webhooks_arrived: tokio::sync::Notify,
    /// Set once the webhook worker has taken up the inbox left by an earlier process.
    webhooks_resumed: std::sync::atomic::AtomicBool,
    /// Whether this process held the webhook inbox's lease at its last look.
    inbox_held: std::sync::atomic::AtomicBool,
    /// Who this process is in the store's leases: replicas sharing a store tell theirs apart.
    owner: String,
    /// Where interactions taken up are kept until answered; `None`: nowhere (tools, tests).
    journal: Option<unfinished::Journal>,
}

/// How long the record of a meeting is kept after its planned end (cancelled ones too): long
/// enough to answer about last month's meetings, short enough that lists stay small.
pub const RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);

impl Meetings {
    /// A service over `zoom` and `store`, with the default [`Limits`].
    pub fn new(zoom: Arc<dyn Zoom>, store: Arc<dyn Store>) -> Self {
        Self {
            zoom,
            store,
            limits: Limits::DEFAULT,
            accounts: None,
            reminders_changed: tokio::sync::Notify::new(),
            webhooks_arrived: tokio::sync::Notify::new(),
            webhooks_resumed: std::sync::atomic::AtomicBool::new(false),
            inbox_held: std::sync::atomic::AtomicBool::new(false),
            owner: crate::store::transient::new_owner(),
            journal: None,
        }
    }

    /// Replaces the operator's limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Lets members host under their own Zoom accounts.
    #[must_use]
    pub fn with_accounts(mut self, accounts: Arc<Accounts>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// The store, for what front ends keep beside the service (the replay guard).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Members' own Zoom accounts, when the operator set them up.
    pub fn accounts(&self) -> Option<&Arc<Accounts>> {
        self.accounts.as_ref()
    }

    /// Zoom as the host of `record`: its creator's own account, or the server's.
    pub(crate) fn zoom_for(&self, record: &MeetingRecord) -> Arc<dyn Zoom> {
        match &self.accounts {
            Some(accounts) if record.member_host => accounts.zoom_as(record.creator),
            _ => Arc::clone(&self.zoom),
        }
    }

    /// The Zoom user hosting `record` (whose daily limit a change of it counts against).
    pub(crate) async fn host_user_of(
        &self,
        record: &MeetingRecord,
        settings: &GuildSettings,
    ) -> Result<String, ServiceError> {
        if record.member_host
            && let Some(accounts) = &self.accounts
        {
            let link = accounts.linked(record.creator).await?;
            return link
                .map(|l| l.zoom_user)
                .ok_or(ServiceError::Zoom(crate::zoom::ZoomError::Unlinked));
        }
        Ok(settings
            .host_user
            .clone()
            .unwrap_or_else(|| self.zoom.host_user().to_owned()))
    }

    /// Who hosts a /meet of `who`: the member's own account (Zoom acting as them, their Zoom
    /// user) or the server's host user, as the server's `hosting` setting says.
    async fn host_of(
        &self,
        who: &Requester,
        settings: &GuildSettings,
    ) -> Result<Host, ServiceError> {
        let hosting = settings.hosting.unwrap_or_default();
        let linked = match (&self.accounts, hosting) {
            (Some(accounts), Hosting::Linked | Hosting::LinkedOnly) => accounts
                .linked(who.member)
                .await?
                .map(|link| (accounts.zoom_as(who.member), link)),
            _ => None,
        };
        match (linked, hosting) {
            (Some((zoom, link)), _) => Ok(Host {
                zoom,
                user: link.zoom_user,
                email: Some(link.email),
            }),
            (None, Hosting::LinkedOnly) if self.accounts.is_none() => {
                Err(ServiceError::AccountsOff)
            }
            (None, Hosting::LinkedOnly) => Err(ServiceError::LinkRequired),
            (None, _) => Ok(Host {
                zoom: Arc::clone(&self.zoom),
                user: settings
                    .host_user
                    .clone()
                    .unwrap_or_else(|| self.zoom.host_user().to_owned()),
                email: None,
            }),
        }
    }

    /// What a /meet by `who` starts from: the server's settings (refusing members without its
    /// creator role) and the defaults below the command's options. Two store lookups.
    pub async fn meet_defaults(
        &self,
        who: &Requester,
    ) -> Result<(GuildSettings, Defaults), ServiceError> {
        let settings = self.store.guild_settings(who.guild).await?;
        // @everyone's id is the server's, and Discord never lists it among a member's roles.
        let restricted = settings.creator_role.filter(|r| r.0 != who.guild.0);
        if let Some(role) = restricted.filter(|r| !who.roles.contains(r)) {
            return Err(ServiceError::MissingCreatorRole(role));
        }
        let prefs = self.store.member_prefs(who.member).await?;
        let defaults = defaults(&settings, prefs);
        Ok((settings, defaults))
    }

    /// Notes where the public message of a meeting is, so cancelling can edit it. Returns the
    /// record: a cancel that came first found no message to edit, so the caller marks it.
    pub async fn attach_message(
        &self,
        guild: GuildId,
        zoom_id: i64,
        channel: ChannelId,
        message: MessageId,
    ) -> Result<MeetingRecord, ServiceError> {
        let record = self
            .store
            .update_meeting(guild, zoom_id, &MeetingChange::Message { channel, message })
            .await?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        self.store.flush().await?;
        Ok(record)
    }

    /// Notes a meeting's Discord event (or, with `None`, that it has none any more).
    pub async fn attach_event(
        &self,
        guild: GuildId,
        zoom_id: i64,
        event: Option<u64>,
    ) -> Result<MeetingRecord, ServiceError> {
        let record = self
            .store
            .update_meeting(guild, zoom_id, &MeetingChange::Event(event))
            .await?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        self.store.flush().await?;
        Ok(record)
    }

    /// The meetings `who` may see in `scope` that have not ended and were not cancelled, soonest
    /// first. [`Scope::Server`] takes Manage Server.
    pub async fn upcoming(
        &self,
        who: &Requester,
        scope: Scope,
    ) -> Result<Vec<MeetingRecord>, ServiceError> {
        if scope == Scope::Server && !who.manage_guild {
            return Err(ServiceError::ServerScopeNotAllowed);
        }
        let now = Timestamp::now();
        let mut meetings: Vec<_> = self
            .store
            .meetings_ending_after(who.guild, now)
            .await?
            .into_iter()
            .filter(|m| !m.cancelled)
            .filter(|m| scope.shows(m, who))
            .collect();
        meetings.sort_by_key(|m| (m.current(now).unwrap_or(m.start), m.zoom_id));
        Ok(meetings)
    }

    /// Forgets the meetings that ended more than [`RETENTION`] ago; returns how many.
    pub async fn prune(&self) -> Result<usize, ServiceError> {
        let pruned = self
            .store
            .prune_meetings(Timestamp::now() - RETENTION)
            .await?;
        // Begun `/zoom link`s nobody finished: forgotten once expired (no one is told).
        if let Some(accounts) = &self.accounts {
            accounts.prune(Timestamp::now()).await?;
        }
        if pruned > 0 {
            self.store.flush().await?;
        }
        Ok(pruned)
    }

    /// Forgets cooldown slots older than the longest window, interactions past their token's
    /// life and expired leases: nothing counts them any more. Returns how many.
    pub async fn forget_transient(&self) -> Result<usize, ServiceError> {
        let longest = jiff::SignedDuration::try_from(crate::scheduling::Cooldown::LONGEST)
            .unwrap_or(jiff::SignedDuration::from_hours(24));
        let now = Timestamp::now();
        Ok(self
            .store
            .coordination()
            .forget_transient(now, now - longest)
            .await?)
    }

    async fn save(&self, record: &MeetingRecord) -> Result<(), ServiceError> {
        self.store.put_meeting(record).await?;
        self.store.flush().await?;
        Ok(())
    }
}

/// Whose Zoom account a meeting is created in.
struct Host {
    /// Zoom, acting as the host.
    zoom: Arc<dyn Zoom>,
    /// The Zoom user (its daily limit).
    user: String,
    /// The member's own account's email; `None`: the server's host user.
    email: Option<String>,
}

/// What applies below the member's own input: their time zone, then the server's settings.
fn defaults(settings: &GuildSettings, prefs: MemberPrefs) -> Defaults {
    Defaults {
        member_timezone: prefs.timezone,
        server: settings.clone(),
    }
}

/// The Zoom request for a plan: exactly the effective values, nothing else.
pub fn new_meeting(plan: &MeetingPlan) -> NewMeeting {
    let (topic, start, minutes) = (
        plan.topic.clone(),
        plan.start.timestamp(),
        plan.length.minutes(),
    );
    let zone = plan.start.time_zone().iana_name().map(str::to_owned);
    let mut m = match &plan.series {
        // Zoom repeats it in its zone: 15:00 Berlin stays 15:00 Berlin across DST.
        Some(series) => NewMeeting::recurring(
            topic,
            start,
            minutes,
            zone.clone().unwrap_or_else(|| "UTC".to_owned()),
            Recurrence::from(&series.rule(&plan.start)),
        ),
        None => NewMeeting::new(topic, start, minutes),
    };
    m.timezone = zone;
    m.agenda.clone_from(&plan.agenda);
    m.password = plan.passcode.clone().map(Secret::new);
    if plan.passcode.is_none() && !plan.auto_passcode {
        m.default_password = Some(false);
    }
    m.settings.waiting_room = plan.waiting_room;
    m.settings.join_before_host = plan.join_before_host;
    m.settings.mute_upon_entry = plan.mute_upon_entry;
    m.settings.auto_recording = plan.recording;
    m
}

/// Plans and creates a meeting for a caller with no Discord server (the command line): the same
/// checks, built-in defaults and time reading as /meet, under the default host user — and, with
/// no server, no server or member settings, no quotas and no record.
pub async fn create_without_server(
    zoom: &dyn Zoom,
    input: &MeetInput,
) -> Result<(MeetingPlan, Meeting), ServiceError> {
    let plan = plan(input, &Defaults::default(), Timestamp::now())?;
    let meeting = zoom
        .create_meeting(zoom.host_user(), &new_meeting(&plan), &none_known)
        .await?;
    Ok((plan, meeting))
}
