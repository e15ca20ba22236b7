//! How much one member, one server and one Zoom host may ask of Zoom: the per-server cooldown a
//! server's admins set, and the operator's limits no server setting lifts.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{Meetings, Requester, ServiceError};
use crate::ids::{GuildId, MemberId};
use crate::scheduling::Cooldown;
use crate::store::GuildSettings;
use crate::zoom::ZoomError;

/// The operator's limits (from the environment), the same for every server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Meetings one server may create per UTC day, whatever its cooldown.
    pub per_server_per_day: u32,
    /// Meetings one member may create across every server.
    pub per_member: Cooldown,
    /// Host links one member may ask for: each is a Zoom request.
    pub host_links: Cooldown,
    /// Meetings created under one Zoom host user per UTC day: Zoom's own limit, counted here
    /// so servers are refused before Zoom is asked.
    pub per_host_per_day: u32,
}

impl Limits {
    /// A quarter of a host's day per server; ten meetings an hour per member; ten host links a
    /// minute per member.
    pub const DEFAULT: Self = Self {
        per_server_per_day: 25,
        per_member: Cooldown {
            count: 10,
            window_minutes: 60,
        },
        host_links: Cooldown {
            count: 10,
            window_minutes: 1,
        },
        per_host_per_day: 100,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Today's date in UTC (Zoom's and our daily limits reset at 00:00 UTC), and when it ends.
pub fn utc_day() -> (Date, Timestamp) {
    let now = Timestamp::now();
    let today = now.to_zoned(TimeZone::UTC).date();
    let reset = today
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
        .map_or(now + SignedDuration::from_hours(24), |z| z.timestamp());
    (today, reset)
}

impl Meetings {
    /// Takes one of `key`'s slots under `rule` through the store (so replicas sharing it share
    /// the count), or says when the next one frees up.
    pub(super) async fn take_slot(
        &self,
        key: &str,
        rule: Cooldown,
    ) -> Result<Result<Timestamp, Timestamp>, ServiceError> {
        Ok(self
            .store
            .coordination()
            .take_slot(key, rule.count, rule.window(), Timestamp::now())
            .await?)
    }

    /// Gives back a slot taken for something that did not happen.
    async fn give_back_slot(&self, key: &str, taken: Timestamp) {
        let given = self.store.coordination().give_back_slot(key, taken).await;
        if let Err(err) = given {
            tracing::warn!(error = %err, "could not give back a cooldown slot");
        }
    }
}

impl Meetings {
    /// Takes a slot of every limit a create by `who` under `host` counts against, or none.
    pub(super) async fn take_quotas(
        &self,
        who: &Requester,
        settings: &GuildSettings,
        host: &str,
    ) -> Result<Taken, ServiceError> {
        let (day, reset_at) = utc_day();
        let mut taken = Taken {
            day,
            host: host.to_ascii_lowercase(),
            ..Taken::default()
        };
        match self.take_each(who, settings, &mut taken, reset_at).await {
            Ok(()) => Ok(taken),
            Err(err) => {
                self.give_back(who, &taken, true).await;
                Err(err)
            }
        }
    }

    /// Takes one slot of each limit in turn, noting in `taken` what it holds, until one refuses.
    async fn take_each(
        &self,
        who: &Requester,
        settings: &GuildSettings,
        taken: &mut Taken,
        reset_at: Timestamp,
    ) -> Result<(), ServiceError> {
        let rule = settings.cooldown.unwrap_or(Cooldown::DEFAULT);
        if !rule.is_off() {
            let slot = self.take_slot(&server_key(who), rule).await?;
            taken.server_slot = Some(slot.map_err(|retry_at| ServiceError::TooMany {
                cooldown: rule,
                retry_at,
            })?);
        }
        let limit = self.limits.per_member;
        if !limit.is_off() {
            let slot = self.take_slot(&member_key(who.member), limit).await?;
            taken.member_slot =
                Some(slot.map_err(|retry_at| ServiceError::MemberLimit { limit, retry_at })?);
        }
        let limit = self.limits.per_server_per_day;
        if !self
            .store
            .take_daily(&guild_counter(who.guild), taken.day, limit)
            .await?
        {
            return Err(ServiceError::ServerDailyLimit { limit, reset_at });
        }
        taken.server_day = true;
        if !self
            .store
            .take_daily(
                &host_counter(&taken.host),
                taken.day,
                self.limits.per_host_per_day,
            )
            .await?
        {
            return Err(ServiceError::Zoom(ZoomError::RateLimited {
                daily: true,
                retry_at: Some(reset_at),
            }));
        }
        taken.host_day = true;
        Ok(())
    }

    /// Gives back what `taken` holds (the host's count only with `host`).
    pub(super) async fn give_back(&self, who: &Requester, taken: &Taken, host: bool) {
        if let Some(slot) = taken.server_slot {
            self.give_back_slot(&server_key(who), slot).await;
        }
        if let Some(slot) = taken.member_slot {
            self.give_back_slot(&member_key(who.member), slot).await;
        }
        let counters = [
            (taken.server_day, guild_counter(who.guild)),
            (taken.host_day && host, host_counter(&taken.host)),
        ];
        for (held, counter) in counters {
            if held && let Err(err) = self.store.give_back_daily(&counter, taken.day).await {
                tracing::warn!(error = %err, "could not give back a daily quota");
            }
        }
    }
}

impl Meetings {
    /// Takes one of `host`'s meetings of today (an update counts as Zoom counts it); the day it
    /// was taken on, to give back.
    pub(super) async fn take_host_day(&self, host: &str) -> Result<Date, ServiceError> {
        let (day, reset_at) = utc_day();
        let counter = host_counter(&host.to_ascii_lowercase());
        if self
            .store
            .take_daily(&counter, day, self.limits.per_host_per_day)
            .await?
        {
            Ok(day)
        } else {
            Err(ServiceError::Zoom(ZoomError::RateLimited {
                daily: true,
                retry_at: Some(reset_at),
            }))
        }
    }

    /// Gives back one of `host`'s meetings of `day`.
    pub(super) async fn give_back_host_day(&self, host: &str, day: Date) {
        let counter = host_counter(&host.to_ascii_lowercase());
        if let Err(err) = self.store.give_back_daily(&counter, day).await {
            tracing::warn!(error = %err, "could not give back a daily quota");
        }
    }
}

/// What one create took of the limits, to give back if it made nothing.
#[derive(Default)]
pub(super) struct Taken {
    day: jiff::civil::Date,
    host: String,
    server_slot: Option<Timestamp>,
    member_slot: Option<Timestamp>,
    server_day: bool,
    host_day: bool,
}

/// A member's meetings in one server, for the server's cooldown.
fn server_key(who: &Requester) -> String {
    format!("meet:{}:{}", who.guild.0, who.member.0)
}

/// A member's meetings in every server, for [`Limits::per_member`].
fn member_key(member: MemberId) -> String {
    format!("meet:{}", member.0)
}

/// A member's host-link requests, for [`Limits::host_links`].
pub(super) fn host_link_key(member: MemberId) -> String {
    format!("link:{}", member.0)
}

fn guild_counter(guild: GuildId) -> String {
    format!("guild:{}", guild.0)
}

fn host_counter(host: &str) -> String {
    format!("host:{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_utc_day_ends_at_the_next_midnight_utc() {
        let (today, reset) = utc_day();
        let reset = reset.to_zoned(TimeZone::UTC);
        assert_eq!(reset.date(), today.tomorrow().unwrap());
        assert_eq!((reset.hour(), reset.minute(), reset.second()), (0, 0, 0));
    }
}
