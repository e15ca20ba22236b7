//! A server's settings and a member's time zone: read, checked (the host user with Zoom),
//! changed and reset.

use super::{Meetings, Requester, ServiceError};
use crate::ids::{GuildId, MemberId, RoleId};
use crate::scheduling::plan::{PlanError, Recording};
use crate::scheduling::{MeetingLength, parse_cooldown, parse_duration, parse_timezone};
use crate::store::{GuildSettings, SettingField, SettingsChange};
use crate::zoom::{Missing, ZoomError};

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

impl Meetings {
    /// A server's settings, with what applies where nothing is set.
    pub async fn settings(&self, guild: GuildId) -> Result<EffectiveSettings, ServiceError> {
        Ok(self.effective(self.store.guild_settings(guild).await?))
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
            .update_guild_settings(who.guild, SettingsChange::Set(&change))
            .await?;
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
            .update_guild_settings(
                who.guild,
                field.map_or(SettingsChange::ResetAll, SettingsChange::Reset),
            )
            .await?;
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
        self.store
            .set_member_timezone(member, timezone.as_deref())
            .await?;
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
}

/// A time zone name, checked, as its IANA name.
fn checked_zone(name: &str) -> Result<String, ServiceError> {
    let zone = parse_timezone(name.trim()).map_err(PlanError::from)?;
    Ok(zone.iana_name().unwrap_or("UTC").to_owned())
}
