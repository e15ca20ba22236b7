//! Servers' settings and members' preferences, each changed by compare-and-swap so concurrent
//! changes of different fields all land.

use super::{PREFS, SETTINGS, SledStore, decode, encode};
use crate::ids::{GuildId, MemberId};
use crate::store::{GuildSettings, MemberPrefs, SettingsChange, StoreError};

impl SledStore {
    /// [`crate::store::Store::update_guild_settings`].
    pub(super) fn change_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError> {
        let key = guild.0.to_be_bytes();
        loop {
            let old = self.guilds.get(key).map_err(self.err())?;
            // An unreadable or newer record is refused here, so it is never overwritten.
            let mut settings = match &old {
                Some(bytes) => decode(SETTINGS, bytes)?,
                None => GuildSettings::default(),
            };
            change.apply(&mut settings);
            let new = encode(&settings);
            let swapped = self
                .guilds
                .compare_and_swap(key, old, Some(new))
                .map_err(self.err())?;
            if swapped.is_ok() {
                return Ok(settings);
            }
            // Another update got in between: start over from what it wrote.
        }
    }

    /// [`crate::store::Store::set_member_timezone`].
    pub(super) fn change_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError> {
        let key = member.0.to_be_bytes();
        loop {
            let old = self.members.get(key).map_err(self.err())?;
            // Refuse to replace what a newer zoombot wrote.
            let mut prefs = match &old {
                Some(bytes) => decode(PREFS, bytes)?,
                None => MemberPrefs::default(),
            };
            prefs.timezone = timezone.map(str::to_owned);
            let swapped = self
                .members
                .compare_and_swap(key, old, Some(encode(&prefs)))
                .map_err(self.err())?;
            if swapped.is_ok() {
                return Ok(prefs);
            }
        }
    }
}
