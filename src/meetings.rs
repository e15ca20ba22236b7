//! The service every front end calls: create, list, cancel, host link. Settings → plan → Zoom →
//! record. Knows nothing of Discord: its callers hand it plain ids.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
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
    recent: Recent,
}

/// When each member's recent meetings were scheduled, for the cooldown. In memory: a restart
/// forgets it, which errs on the member's side.
#[derive(Default)]
struct Recent(Mutex<HashMap<(GuildId, MemberId), VecDeque<Instant>>>);

/// Above this many members tracked, members with nothing recent are dropped.
const RECENT_PRUNE_AT: usize = 10_000;

impl Recent {
    /// Takes one of `who`'s slots under `rule`, or says when the next one frees up.
    fn take(&self, who: &Requester, rule: Cooldown) -> Result<Instant, ServiceError> {
        let mut recent = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Read under the lock, so each member's times stay in order.
        let now = Instant::now();
        if recent.len() > RECENT_PRUNE_AT {
            // Servers' windows differ: drop only what no window can still count.
            recent.retain(|_, times| times.back().is_some_and(|t| now - *t < Cooldown::LONGEST));
        }
        let times = recent.entry((who.guild, who.member)).or_default();
        while times.front().is_some_and(|t| now - *t >= rule.window()) {
            times.pop_front();
        }
        if times.len() >= rule.count as usize {
            let frees_in = times
                .front()
                .map_or(rule.window(), |t| rule.window().saturating_sub(now - *t));
            let retry_at = jiff::SignedDuration::try_from(frees_in)
                .ok()
                .and_then(|d| Timestamp::now().checked_add(d).ok())
                .unwrap_or_else(Timestamp::now);
            return Err(ServiceError::TooMany {
                cooldown: rule,
                retry_at,
            });
        }
        times.push_back(now);
        Ok(now)
    }

    /// Gives back a slot taken for a meeting that was not created.
    fn give_back(&self, who: &Requester, taken: Instant) {
        let mut recent = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(times) = recent.get_mut(&(who.guild, who.member)) {
            if let Some(at) = times.iter().position(|t| *t == taken) {
                times.remove(at);
            }
        }
    }
}

impl Meetings {
    /// A service over `zoom` and `store`.
    pub fn new(zoom: Arc<ZoomClient>, store: Arc<dyn Store>) -> Self {
        Self {
            zoom,
            store,
            recent: Recent::default(),
        }
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
        let rule = settings.cooldown.unwrap_or(Cooldown::DEFAULT);
        let slot = if rule.is_off() {
            None
        } else {
            Some(self.recent.take(who, rule)?)
        };
        // Only meetings that exist count: a failure costs the member nothing.
        let give_back = || {
            if let Some(slot) = slot {
                self.recent.give_back(who, slot);
            }
        };
        let meeting = match self.zoom.create_meeting(host, &new_meeting(&plan)).await {
            Ok(meeting) => meeting,
            Err(err) => {
                // Even after an uncertain failure: the client has looked for the meeting twice by
                // then, and Zoom's trouble should not cost the member.
                give_back();
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
            give_back();
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
            .guild_meetings(who.guild)?
            .into_iter()
            .filter(|m| !m.cancelled && m.end() > now)
            .filter(|m| scope.shows(m, who))
            .collect();
        meetings.sort_by_key(|m| (m.start, m.zoom_id));
        Ok(meetings)
    }

    /// Cancels a meeting: deletes it in Zoom and marks the record. The creator or a member with
    /// Manage Server may.
    pub async fn cancel(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<MeetingRecord, ServiceError> {
        let record = self
            .store
            .meeting(who.guild, zoom_id)?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        if record.cancelled {
            return Err(ServiceError::AlreadyCancelled);
        }
        if record.creator != who.member && !who.manage_guild {
            return Err(ServiceError::NotAllowedToCancel);
        }
        match self.zoom.delete_meeting(zoom_id).await {
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

    /// A freshly issued start link (they expire after about two hours), for the creator only.
    pub async fn host_link(
        &self,
        who: &Requester,
        zoom_id: i64,
    ) -> Result<(MeetingRecord, Secret), ServiceError> {
        let record = self
            .store
            .meeting(who.guild, zoom_id)?
            .ok_or(ServiceError::UnknownMeeting(zoom_id))?;
        if record.cancelled {
            return Err(ServiceError::AlreadyCancelled);
        }
        if record.creator != who.member {
            return Err(ServiceError::NotCreator);
        }
        let meeting = self.zoom.get_meeting(zoom_id).await?;
        let link = meeting.start_url.ok_or_else(|| ZoomError::Api {
            status: 200,
            code: None,
            message: "Zoom returned the meeting without a start link".to_owned(),
        })?;
        Ok((record, link))
    }

    async fn save(&self, record: &MeetingRecord) -> Result<(), ServiceError> {
        self.store.put_meeting(record)?;
        self.store.flush().await?;
        Ok(())
    }
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
