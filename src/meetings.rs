//! The service every front end calls: create, list, cancel, host link. Settings → plan → Zoom →
//! record. Knows nothing of Discord: its callers hand it plain ids.

mod limits;

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;

use crate::ids::{ChannelId, GuildId, MemberId, MessageId, RoleId};
use crate::scheduling::plan::{Defaults, MeetInput, MeetingPlan, PlanError, Recording, plan};
use crate::scheduling::{
    Cooldown, CooldownError, MeetingLength, parse_cooldown, parse_duration, parse_timezone,
};
use crate::secret::Secret;
use crate::store::{GuildSettings, MeetingRecord, MemberPrefs, SettingField, Store, StoreError};
use crate::zoom::model::{AutoRecording, Meeting, NewMeeting};
use crate::zoom::{Missing, ZoomClient, ZoomError};

pub use limits::Limits;
use limits::{Recent, utc_day};

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

/// Why a request failed. The words a member sees are written in `discord::reply`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// The input cannot make a meeting.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Zoom failed.
    #[error(transparent)]
    Zoom(#[from] ZoomError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No meeting with that id was created from this server.
    #[error("no upcoming meeting with id {0} was scheduled from this server")]
    UnknownMeeting(i64),
    /// Only the creator may do this.
    #[error("only the member who scheduled this meeting can do that")]
    NotCreator,
    /// Only the creator or a member with Manage Server may cancel.
    #[error(
        "only the member who scheduled this meeting, or a member with Manage Server, can cancel it"
    )]
    NotAllowedToCancel,
    /// Already cancelled.
    #[error("this meeting was already cancelled")]
    AlreadyCancelled,
    /// Changing settings takes Manage Server.
    #[error("changing this server's settings takes the Manage Server permission")]
    NotManager,
    /// Listing the whole server's meetings takes Manage Server.
    #[error("listing every meeting of the server takes the Manage Server permission")]
    ServerScopeNotAllowed,
    /// The server lets only members with a role schedule meetings.
    #[error("only members with role {0} may schedule meetings in this server")]
    MissingCreatorRole(RoleId),
    /// `/meet-settings set` without a field.
    #[error("no setting was given to change")]
    NothingToChange,
    /// Zoom has no such user to create meetings under.
    #[error("Zoom has no user {0} in this account")]
    UnknownHostUser(String),
    /// A cooldown setting that cannot be read.
    #[error(transparent)]
    BadCooldown(#[from] CooldownError),
    /// The member scheduled as many meetings as the server's cooldown allows.
    #[error("the member reached this server's limit of {cooldown}")]
    TooMany {
        /// The server's rule.
        cooldown: Cooldown,
        /// When the member may schedule again.
        retry_at: Timestamp,
    },
    /// A Zoom user the operator does not let servers pick.
    #[error("{0} is not among the Zoom users this bot's operator lets servers pick")]
    HostUserNotAllowed(String),
    /// The member created as many meetings as the operator allows one member in every server.
    #[error("the member reached the bot's limit of {limit} in every server")]
    MemberLimit {
        /// The operator's rule.
        limit: Cooldown,
        /// When the member may schedule again.
        retry_at: Timestamp,
    },
    /// The server created as many meetings today as the operator allows one server.
    #[error("this server reached the bot's limit of {limit} meetings a day")]
    ServerDailyLimit {
        /// Meetings per UTC day.
        limit: u32,
        /// 00:00 UTC tomorrow.
        reset_at: Timestamp,
    },
    /// The member asked for host links too often.
    #[error("the member asked for host links too often")]
    HostLinkLimit {
        /// When the member may ask again.
        retry_at: Timestamp,
    },
    /// The meeting ended: its host link is no longer handed out.
    #[error("this meeting is over")]
    MeetingOver,
    /// Zoom's meeting with this number is not the one recorded: Zoom deleted it and reused the
    /// number, or it was deleted in Zoom.
    #[error("Zoom no longer has the meeting recorded under number {0}")]
    GoneFromZoom(i64),
    /// A host user that cannot be a Zoom user id or email.
    #[error("{0:?} is not a Zoom user id or email")]
    BadHostUser(String),
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
}

/// What `/meet-settings set` asked for: the fields given, as typed.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    /// "45m".
    pub duration: Option<String>,
    /// An IANA name.
    pub timezone: Option<String>,
    /// Waiting room.
    pub waiting_room: Option<bool>,
    /// Join before host.
    pub join_before_host: Option<bool>,
    /// Mute on entry.
    pub mute_upon_entry: Option<bool>,
    /// Automatic recording.
    pub auto_recording: Option<Recording>,
    /// `true`: Zoom makes a passcode; `false`: none unless the member gives one.
    pub auto_passcode: Option<bool>,
    /// Zoom user id or email.
    pub host_user: Option<String>,
    /// Also DM the host link.
    pub dm_host_link: Option<bool>,
    /// Only members with this role may /meet.
    pub creator_role: Option<RoleId>,
    /// "5/10m", "off".
    pub cooldown: Option<String>,
}

/// A server's settings as they apply, with what is used where nothing is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveSettings {
    /// What the server set.
    pub set: GuildSettings,
    /// The Zoom user meetings are created under when the server sets none (`ZOOM_HOST_USER`).
    pub default_host_user: String,
}

/// The longest Zoom user id or email accepted as a host user.
const HOST_USER_MAX: usize = 128;

/// The meetings service.
pub struct Meetings {
    zoom: Arc<ZoomClient>,
    store: Arc<dyn Store>,
    limits: Limits,
    /// Each member's meetings per server, for the server's cooldown.
    recent: Recent<(GuildId, MemberId)>,
    /// Each member's meetings in every server, for [`Limits::per_member`].
    everywhere: Recent<MemberId>,
    /// Each member's host-link requests, for [`Limits::host_links`].
    links: Recent<MemberId>,
}

/// How long the record of a meeting is kept after its planned end (cancelled ones too): long
/// enough to answer about last month's meetings, short enough that lists stay small.
pub const RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);

/// How long after its planned end a meeting still gets host links: meetings overrun.
const HOST_LINK_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

impl Meetings {
    /// A service over `zoom` and `store`, with the default [`Limits`].
    pub fn new(zoom: Arc<ZoomClient>, store: Arc<dyn Store>) -> Self {
        Self {
            zoom,
            store,
            limits: Limits::DEFAULT,
            recent: Recent::default(),
            everywhere: Recent::default(),
            links: Recent::default(),
        }
    }

    /// Replaces the operator's limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Plans, creates and records a meeting. The record is durable before this returns.
    pub async fn create(
        &self,
        who: &Requester,
        input: &MeetInput,
    ) -> Result<Created, ServiceError> {
        let (settings, defaults) = self.meet_defaults(who)?;
        let plan = plan(input, &defaults, Timestamp::now())?;
        let host = settings
            .host_user
            .as_deref()
            .unwrap_or(self.zoom.host_user());
        let taken = self.take_quotas(who, &settings, host)?;
        // A meeting number someone was given already is never adopted by this create.
        let known = |id| !matches!(self.store.zoom_meeting(id), Ok(None));
        let meeting = match self
            .zoom
            .create_meeting_unless(host, &new_meeting(&plan), &known)
            .await
        {
            Ok(meeting) => meeting,
            Err(err) => {
                // Only meetings that exist count: a failure costs the member and the server
                // nothing — even an uncertain one, which the client has looked into twice. The
                // host's count stays spent then: Zoom may have counted it.
                self.give_back(who, &taken, !err.is_ambiguous());
                return Err(err.into());
            }
        };
        let record = MeetingRecord {
            guild: who.guild,
            channel: who.channel,
            message: None,
            creator: who.member,
            zoom_id: meeting.id,
            topic: plan.topic.clone(),
            start: plan.start.timestamp(),
            duration_minutes: plan.length.minutes(),
            timezone: plan
                .start
                .time_zone()
                .iana_name()
                .unwrap_or("UTC")
                .to_owned(),
            cancelled: false,
            uuid: meeting.uuid.clone(),
            created_at: meeting.created_at,
        };
        if let Err(err) = self.save(&record).await {
            // A meeting nobody can find or cancel helps no one: undo it, then report.
            if let Err(undo) = self.zoom.delete_meeting(meeting.id).await {
                tracing::error!(meeting_id = meeting.id, error = %undo, "could not delete a meeting that was not recorded");
            }
            // The write may have landed without being made durable: keep it out of every list.
            let _ = self
                .store
                .update_meeting(who.guild, meeting.id, &|r| r.cancelled = true);
            self.give_back(who, &taken, false);
            return Err(err);
        }
        Ok(Created {
            plan,
            meeting,
            record,
            dm_host_link: settings.dm_host_link.unwrap_or(false),
        })
    }

    /// A server's settings, with what applies where nothing is set.
    pub fn settings(&self, guild: GuildId) -> Result<EffectiveSettings, ServiceError> {
        Ok(self.effective(self.store.guild_settings(guild)?))
    }

    /// Changes the fields of a server's settings that `input` gives, after checking each (the
    /// host user with Zoom). Needs Manage Server. Durable before it returns.
    pub async fn change_settings(
        &self,
        who: &Requester,
        input: &SettingsInput,
    ) -> Result<EffectiveSettings, ServiceError> {
        if !who.manage_guild {
            return Err(ServiceError::NotManager);
        }
        let change = self.checked(input).await?;
        if change.is_empty() {
            return Err(ServiceError::NothingToChange);
        }
        let settings = self
            .store
            .update_guild_settings(who.guild, &|s| s.apply(&change))?;
        self.store.flush().await?;
        Ok(self.effective(settings))
    }

    /// Unsets one field of a server's settings, or all of them. Needs Manage Server.
    pub async fn reset_settings(
        &self,
        who: &Requester,
        field: Option<SettingField>,
    ) -> Result<EffectiveSettings, ServiceError> {
        if !who.manage_guild {
            return Err(ServiceError::NotManager);
        }
        let settings = self
            .store
            .update_guild_settings(who.guild, &|s| match field {
                Some(field) => s.reset(field),
                None => *s = GuildSettings::default(),
            })?;
        self.store.flush().await?;
        Ok(self.effective(settings))
    }

    /// Sets (or with `None`, clears) a member's own time zone. Returns its IANA name.
    pub async fn set_member_timezone(
        &self,
        member: MemberId,
        zone: Option<&str>,
    ) -> Result<Option<String>, ServiceError> {
        let timezone = zone.map(checked_zone).transpose()?;
        let mut prefs = self.store.member_prefs(member)?;
        prefs.timezone.clone_from(&timezone);
        self.store.put_member_prefs(member, &prefs)?;
        self.store.flush().await?;
        Ok(timezone)
    }

    fn effective(&self, set: GuildSettings) -> EffectiveSettings {
        EffectiveSettings {
            set,
            default_host_user: self.zoom.host_user().to_owned(),
        }
    }

    /// `input` as settings to apply, every value checked.
    async fn checked(&self, input: &SettingsInput) -> Result<GuildSettings, ServiceError> {
        let duration_minutes = input
            .duration
            .as_deref()
            .map(|d| parse_duration(d.trim()).map(MeetingLength::minutes))
            .transpose()
            .map_err(PlanError::from)?;
        let timezone = input.timezone.as_deref().map(checked_zone).transpose()?;
        let cooldown = input.cooldown.as_deref().map(parse_cooldown).transpose()?;
        let host_user = match input.host_user.as_deref().map(str::trim) {
            Some(user) => Some(self.checked_host_user(user).await?),
            None => None,
        };
        Ok(GuildSettings {
            duration_minutes,
            timezone,
            waiting_room: input.waiting_room,
            join_before_host: input.join_before_host,
            mute_upon_entry: input.mute_upon_entry,
            auto_recording: input.auto_recording,
            auto_passcode: input.auto_passcode,
            host_user,
            dm_host_link: input.dm_host_link,
            creator_role: input.creator_role,
            cooldown,
        })
    }

    /// A host user Zoom knows (GET /users/{id}), as it was given.
    async fn checked_host_user(&self, user: &str) -> Result<String, ServiceError> {
        if user.is_empty()
            || user.chars().count() > HOST_USER_MAX
            || user
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err(ServiceError::BadHostUser(user.to_owned()));
        }
        // Checked before asking Zoom, so the answer reveals nothing about the account's users.
        if !self.zoom.may_host(user) {
            return Err(ServiceError::HostUserNotAllowed(user.to_owned()));
        }
        match self.zoom.get_user(user).await {
            Ok(_) => Ok(user.to_owned()),
            Err(ZoomError::NotFound(Missing::User(_))) => {
                Err(ServiceError::UnknownHostUser(user.to_owned()))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// What a /meet by `who` starts from: the server's settings (refusing members without its
    /// creator role) and the defaults below the command's options. Two store lookups.
    pub fn meet_defaults(
        &self,
        who: &Requester,
    ) -> Result<(GuildSettings, Defaults), ServiceError> {
        let settings = self.store.guild_settings(who.guild)?;
        // @everyone's id is the server's, and Discord never lists it among a member's roles.
        let restricted = settings.creator_role.filter(|r| r.0 != who.guild.0);
        if let Some(role) = restricted.filter(|r| !who.roles.contains(r)) {
            return Err(ServiceError::MissingCreatorRole(role));
        }
        let prefs = self.store.member_prefs(who.member)?;
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
            .update_meeting(guild, zoom_id, &|r| {
                r.channel = channel;
                r.message = Some(message);
            })?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        self.store.flush().await?;
        Ok(record)
    }

    /// The meetings `who` may see in `scope` that have not ended and were not cancelled, soonest
    /// first. [`Scope::Server`] takes Manage Server.
    pub fn upcoming(
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
            .meetings_ending_after(who.guild, now)?
            .into_iter()
            .filter(|m| !m.cancelled)
            .filter(|m| scope.shows(m, who))
            .collect();
        meetings.sort_by_key(|m| (m.start, m.zoom_id));
        Ok(meetings)
    }

    /// Cancels a meeting: deletes it in Zoom and marks the record. The creator or a member with
    /// Manage Server may. Zoom's meeting under that number is checked to be the recorded one
    /// first: a number Zoom reused belongs to someone else's meeting.
    pub async fn cancel(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<MeetingRecord, ServiceError> {
        let record = self.recorded(who, zoom_id)?;
        if record.creator != who.member && !who.manage_guild {
            return Err(ServiceError::NotAllowedToCancel);
        }
        let deleted = match self.in_zoom(&record).await {
            Ok(_) => self.zoom.delete_meeting(zoom_id).await,
            Err(ServiceError::GoneFromZoom(_)) => Ok(()),
            Err(err) => return Err(err),
        };
        match deleted {
            // Deleted in Zoom already: the bot's record just catches up.
            Ok(()) | Err(ZoomError::NotFound(Missing::Meeting(_))) => {}
            Err(err) => return Err(err.into()),
        }
        let record = self
            .store
            .update_meeting(who.guild, zoom_id, &|r| r.cancelled = true)?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        self.store.flush().await?;
        Ok(record)
    }

    /// A freshly issued start link (they expire after about two hours), for the creator only,
    /// until an hour after the meeting's planned end, and only from the recorded meeting.
    pub async fn host_link(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<(MeetingRecord, Secret), ServiceError> {
        let record = self.recorded(who, zoom_id)?;
        if record.creator != who.member {
            return Err(ServiceError::NotCreator);
        }
        if record.end() + HOST_LINK_GRACE < Timestamp::now() {
            return Err(ServiceError::MeetingOver);
        }
        self.links
            .take(who.member, self.limits.host_links)
            .map_err(|retry_at| ServiceError::HostLinkLimit { retry_at })?;
        let meeting = self.in_zoom(&record).await?;
        let link = meeting.start_url.ok_or_else(|| ZoomError::Api {
            status: 200,
            code: None,
            message: "Zoom returned the meeting without a start link".to_owned(),
        })?;
        Ok((record, link))
    }

    /// This server's record of a meeting that was not cancelled.
    fn recorded(&self, who: &Requester, zoom_id: i64) -> Result<MeetingRecord, ServiceError> {
        let record = self
            .store
            .meeting(who.guild, zoom_id)?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        if record.cancelled {
            return Err(ServiceError::AlreadyCancelled);
        }
        Ok(record)
    }

    /// Zoom's meeting under the record's number, if it is the recorded one: the same UUID (once
    /// known) or creation time, topic and start. Learns the UUID the first time.
    async fn in_zoom(&self, record: &MeetingRecord) -> Result<Meeting, ServiceError> {
        let meeting = match self.zoom.get_meeting(record.zoom_id).await {
            Err(ZoomError::NotFound(Missing::Meeting(_))) => {
                return Err(ServiceError::GoneFromZoom(record.zoom_id));
            }
            other => other?,
        };
        if !is_recorded(record, &meeting) {
            tracing::warn!(
                meeting_id = record.zoom_id,
                "Zoom's meeting under this number is not the one the bot recorded; refusing it"
            );
            return Err(ServiceError::GoneFromZoom(record.zoom_id));
        }
        if record.uuid.is_none() && meeting.uuid.is_some() {
            let uuid = meeting.uuid.clone();
            // Best effort: without it, the creation time still tells the meetings apart.
            let learned = self
                .store
                .update_meeting(record.guild, record.zoom_id, &|r| r.uuid.clone_from(&uuid));
            if let Err(err) = learned {
                tracing::warn!(error = %err, "could not note a meeting's UUID");
            }
        }
        Ok(meeting)
    }

    /// Takes a slot of every limit a create by `who` under `host` counts against, or none.
    fn take_quotas(
        &self,
        who: &Requester,
        settings: &GuildSettings,
        host: &str,
    ) -> Result<Taken, ServiceError> {
        let rule = settings.cooldown.unwrap_or(Cooldown::DEFAULT);
        let mut taken = Taken {
            day: utc_day().0,
            host: host.to_ascii_lowercase(),
            ..Taken::default()
        };
        let reset_at = utc_day().1;
        let result = (|| {
            if !rule.is_off() {
                let slot = self.recent.take((who.guild, who.member), rule);
                taken.server_slot = Some(slot.map_err(|retry_at| ServiceError::TooMany {
                    cooldown: rule,
                    retry_at,
                })?);
            }
            let limit = self.limits.per_member;
            if !limit.is_off() {
                let slot = self.everywhere.take(who.member, limit);
                taken.member_slot =
                    Some(slot.map_err(|retry_at| ServiceError::MemberLimit { limit, retry_at })?);
            }
            let limit = self.limits.per_server_per_day;
            if !self
                .store
                .take_daily(&guild_counter(who.guild), taken.day, limit)?
            {
                return Err(ServiceError::ServerDailyLimit { limit, reset_at });
            }
            taken.server_day = true;
            if !self.store.take_daily(
                &host_counter(&taken.host),
                taken.day,
                self.limits.per_host_per_day,
            )? {
                return Err(ServiceError::Zoom(ZoomError::RateLimited {
                    daily: true,
                    retry_at: Some(reset_at),
                }));
            }
            taken.host_day = true;
            Ok(())
        })();
        match result {
            Ok(()) => Ok(taken),
            Err(err) => {
                self.give_back(who, &taken, true);
                Err(err)
            }
        }
    }

    /// Gives back what `taken` holds (the host's count only with `host`).
    fn give_back(&self, who: &Requester, taken: &Taken, host: bool) {
        if let Some(slot) = taken.server_slot {
            self.recent.give_back((who.guild, who.member), slot);
        }
        if let Some(slot) = taken.member_slot {
            self.everywhere.give_back(who.member, slot);
        }
        let counters = [
            (taken.server_day, guild_counter(who.guild)),
            (taken.host_day && host, host_counter(&taken.host)),
        ];
        for (held, counter) in counters {
            if held {
                if let Err(err) = self.store.give_back_daily(&counter, taken.day) {
                    tracing::warn!(error = %err, "could not give back a daily quota");
                }
            }
        }
    }

    /// Forgets the meetings that ended more than [`RETENTION`] ago; returns how many.
    pub async fn prune(&self) -> Result<usize, ServiceError> {
        let pruned = self.store.prune_meetings(Timestamp::now() - RETENTION)?;
        if pruned > 0 {
            self.store.flush().await?;
        }
        Ok(pruned)
    }

    async fn save(&self, record: &MeetingRecord) -> Result<(), ServiceError> {
        self.store.put_meeting(record)?;
        self.store.flush().await?;
        Ok(())
    }
}

/// What one create took of the limits, to give back if it made nothing.
#[derive(Default)]
struct Taken {
    day: jiff::civil::Date,
    host: String,
    server_slot: Option<Instant>,
    member_slot: Option<Instant>,
    server_day: bool,
    host_day: bool,
}

fn guild_counter(guild: GuildId) -> String {
    format!("guild:{}", guild.0)
}

fn host_counter(host: &str) -> String {
    format!("host:{host}")
}

/// Whether Zoom's `meeting` is the one `record` was made for, not a later meeting Zoom gave the
/// same number.
fn is_recorded(record: &MeetingRecord, meeting: &Meeting) -> bool {
    let same = |a: Option<&str>, b: Option<&str>| a.zip(b).is_none_or(|(a, b)| a == b);
    same(record.uuid.as_deref(), meeting.uuid.as_deref())
        && record
            .created_at
            .zip(meeting.created_at)
            .is_none_or(|(a, b)| a == b)
        && meeting.topic == record.topic
        // Zoom keeps whole seconds.
        && meeting.start_time.map(Timestamp::as_second) == Some(record.start.as_second())
}

/// A time zone name, checked, as its IANA name.
fn checked_zone(name: &str) -> Result<String, ServiceError> {
    let zone = parse_timezone(name.trim()).map_err(PlanError::from)?;
    Ok(zone.iana_name().unwrap_or("UTC").to_owned())
}

/// What applies below the member's own input: their time zone, then the server's settings.
fn defaults(settings: &GuildSettings, prefs: MemberPrefs) -> Defaults {
    Defaults {
        member_timezone: prefs.timezone,
        guild_timezone: settings.timezone.clone(),
        duration_minutes: settings.duration_minutes,
        waiting_room: settings.waiting_room,
        join_before_host: settings.join_before_host,
        mute_upon_entry: settings.mute_upon_entry,
        recording: settings.auto_recording,
        auto_passcode: settings.auto_passcode,
    }
}

/// The Zoom request for a plan: exactly the effective values, nothing else.
pub fn new_meeting(plan: &MeetingPlan) -> NewMeeting {
    let mut m = NewMeeting::new(
        plan.topic.clone(),
        plan.start.timestamp(),
        plan.length.minutes(),
    );
    m.timezone = plan.start.time_zone().iana_name().map(str::to_owned);
    m.agenda.clone_from(&plan.agenda);
    m.password = plan.passcode.clone().map(Secret::new);
    if plan.passcode.is_none() && !plan.auto_passcode {
        m.default_password = Some(false);
    }
    m.settings.waiting_room = plan.waiting_room;
    m.settings.join_before_host = plan.join_before_host;
    m.settings.mute_upon_entry = plan.mute_upon_entry;
    m.settings.auto_recording = plan.recording.map(|r| match r {
        Recording::None => AutoRecording::None,
        Recording::Local => AutoRecording::Local,
        Recording::Cloud => AutoRecording::Cloud,
    });
    m
}
