//! A server's settings and a member's time zone: read, checked (the host user with Zoom),
//! changed and reset.

use super::{Meetings, Requester, ServiceError};
use crate::ids::MemberId;
use crate::scheduling::settings::{Given, SettingError, checked_zone};
use crate::store::{GuildSettings, SettingField, SettingsChange};
use crate::zoom::{Missing, ZoomError};

/// What `/meet-settings set` asked for: the settings given, with their values as given.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput(pub Vec<(SettingField, Given)>);

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
    /// The settings of `who`'s server, with what applies where nothing is set. Needs Manage
    /// Server, like changing them: they name the Zoom host user.
    pub async fn settings(&self, who: &Requester) -> Result<EffectiveSettings, ServiceError> {
        if !who.manage_guild {
            return Err(ServiceError::NotManager);
        }
        Ok(self.effective(self.store.guild_settings(who.guild).await?))
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

    /// `input` as settings to apply, every value checked (the host user with Zoom).
    async fn checked(&self, input: &SettingsInput) -> Result<GuildSettings, ServiceError> {
        let mut change = GuildSettings::default();
        for (field, given) in &input.0 {
            change.set(*field, given).map_err(|err| match err {
                SettingError::Plan(err) => ServiceError::Plan(err),
                SettingError::Cooldown(err) => ServiceError::BadCooldown(err),
                SettingError::Reminder(err) => ServiceError::BadReminder(err),
                SettingError::Kind(name) => ServiceError::WrongSettingKind(name),
            })?;
        }
        if let Some(user) = change.host_user.take() {
            change.host_user = Some(self.checked_host_user(&user).await?);
        }
        Ok(change)
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
