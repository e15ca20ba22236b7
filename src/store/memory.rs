//! An in-memory store: for tests, and for tools that must not touch the data directory.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use jiff::Timestamp;
use jiff::civil::Date;

use async_trait::async_trait;

use super::{
    DailyCount, GuildSettings, InboxEntry, MeetingChange, MeetingRecord, MemberLink, MemberPrefs,
    PendingLink, SettingsChange, Store, StoreError, Unfinished,
};
use crate::ids::{GuildId, MemberId};

/// The webhook inbox: entries by order of receipt, every key received, the last order given.
type Inbox = (BTreeMap<u64, InboxEntry>, HashMap<String, Timestamp>, u64);

/// Keeps everything in maps; nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    meetings: Mutex<BTreeMap<(GuildId, i64), MeetingRecord>>,
    guilds: Mutex<HashMap<GuildId, GuildSettings>>,
    members: Mutex<HashMap<MemberId, MemberPrefs>>,
    daily: Mutex<HashMap<String, DailyCount>>,
    inbox: Mutex<Inbox>,
    pending_links: Mutex<HashMap<String, PendingLink>>,
    links: Mutex<HashMap<MemberId, MemberLink>>,
    unfinished: Mutex<BTreeMap<u64, Unfinished>>,
    transient: super::transient::Transient,
    /// While set, flushes fail as on a full disk.
    flush_fails: AtomicBool,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every flush fail (`true`) as on a full disk, or succeed again: what the service
    /// does when a write cannot be made durable is tested against it.
    pub fn fail_flushes(&self, fail: bool) {
        self.flush_fails.store(fail, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl Store for MemoryStore {
    async fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        lock(&self.meetings).insert((record.guild, record.zoom_id), record.clone());
        Ok(())
    }

    async fn meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        Ok(lock(&self.meetings).get(&(guild, zoom_id)).cloned())
    }

    async fn update_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: &MeetingChange,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        Ok(lock(&self.meetings)
            .get_mut(&(guild, zoom_id))
            .map(|record| {
                change.apply(record);
                record.clone()
            }))
    }

    async fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError> {
        Ok(lock(&self.meetings)
            .range((guild, i64::MIN)..=(guild, i64::MAX))
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn meetings_ending_after(
        &self,
        guild: GuildId,
        after: Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        let mut meetings = self.guild_meetings(guild).await?;
        meetings.retain(|r| r.end() > after);
        Ok(meetings)
    }

    async fn zoom_meeting(&self, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError> {
        Ok(lock(&self.meetings)
            .values()
            .find(|r| r.zoom_id == zoom_id)
            .cloned())
    }

    async fn due_reminders(
        &self,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        let mut due: Vec<MeetingRecord> = lock(&self.meetings)
            .values()
            .filter(|r| r.reminder_due.is_some_and(|d| d <= until))
            .cloned()
            .collect();
        due.sort_by_key(|r| (r.reminder_due, r.guild, r.zoom_id));
        due.truncate(limit);
        Ok(due)
    }

    async fn next_reminder(&self) -> Result<Option<Timestamp>, StoreError> {
        Ok(lock(&self.meetings)
            .values()
            .filter_map(|r| r.reminder_due)
            .min())
    }

    async fn prune_meetings(&self, ended_before: Timestamp) -> Result<usize, StoreError> {
        let mut meetings = lock(&self.meetings);
        let before = meetings.len();
        meetings.retain(|_, r| r.end() >= ended_before);
        Ok(before - meetings.len())
    }

    async fn take_daily(&self, counter: &str, day: Date, limit: u32) -> Result<bool, StoreError> {
        let mut daily = lock(&self.daily);
        let now = daily
            .get(counter)
            .copied()
            .unwrap_or(DailyCount { day, count: 0 });
        Ok(match now.taken(day, limit) {
            Some(taken) => {
                daily.insert(counter.to_owned(), taken);
                true
            }
            None => false,
        })
    }

    async fn give_back_daily(&self, counter: &str, day: Date) -> Result<(), StoreError> {
        if let Some(count) = lock(&self.daily).get_mut(counter) {
            *count = count.given_back(day);
        }
        Ok(())
    }

    async fn guild_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError> {
        Ok(lock(&self.guilds).get(&guild).cloned().unwrap_or_default())
    }

    async fn update_guild_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError> {
        let mut guilds = lock(&self.guilds);
        let settings = guilds.entry(guild).or_default();
        change.apply(settings);
        Ok(settings.clone())
    }

    async fn member_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError> {
        Ok(lock(&self.members)
            .get(&member)
            .cloned()
            .unwrap_or_default())
    }

    async fn set_member_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError> {
        let mut members = lock(&self.members);
        let prefs = members.entry(member).or_default();
        prefs.timezone = timezone.map(str::to_owned);
        Ok(prefs.clone())
    }

    async fn receive_event(&self, key: &str, raw: &str, at: Timestamp) -> Result<bool, StoreError> {
        let mut inbox = lock(&self.inbox);
        let (entries, keys, next) = &mut *inbox;
        if keys.contains_key(key) {
            return Ok(false);
        }
        keys.insert(key.to_owned(), at);
        *next += 1;
        entries.insert(
            *next,
            InboxEntry {
                seq: *next,
                key: key.to_owned(),
                received_at: at,
                raw: raw.to_owned(),
            },
        );
        Ok(true)
    }

    async fn pending_events(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        Ok(lock(&self.inbox).0.values().take(limit).cloned().collect())
    }

    async fn applied_event(&self, seq: u64) -> Result<(), StoreError> {
        lock(&self.inbox).0.remove(&seq);
        Ok(())
    }

    async fn forget_event_keys(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut inbox = lock(&self.inbox);
        let count = inbox.1.len();
        inbox.1.retain(|_, at| *at >= before);
        Ok(count - inbox.1.len())
    }

    async fn put_pending_link(&self, key: &str, pending: &PendingLink) -> Result<(), StoreError> {
        lock(&self.pending_links).insert(key.to_owned(), pending.clone());
        Ok(())
    }

    async fn take_pending_link(&self, key: &str) -> Result<Option<PendingLink>, StoreError> {
        Ok(lock(&self.pending_links).remove(key))
    }

    async fn forget_pending_links(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut pending = lock(&self.pending_links);
        let count = pending.len();
        pending.retain(|_, p| p.expires_at >= before);
        Ok(count - pending.len())
    }

    async fn member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        Ok(lock(&self.links).get(&member).cloned())
    }

    async fn put_member_link(&self, link: &MemberLink) -> Result<(), StoreError> {
        lock(&self.links).insert(link.member, link.clone());
        Ok(())
    }

    async fn put_unfinished(&self, unfinished: &Unfinished) -> Result<(), StoreError> {
        lock(&self.unfinished).insert(unfinished.id, unfinished.clone());
        Ok(())
    }

    async fn unfinished(&self) -> Result<Vec<Unfinished>, StoreError> {
        Ok(lock(&self.unfinished).values().cloned().collect())
    }

    async fn claim_unfinished(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError> {
        match lock(&self.unfinished).get_mut(&id) {
            Some(record) if record.owner == from => {
                to.clone_into(&mut record.owner);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn finish_unfinished(&self, id: u64) -> Result<(), StoreError> {
        lock(&self.unfinished).remove(&id);
        Ok(())
    }

    async fn delete_member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        Ok(lock(&self.links).remove(&member))
    }

    async fn zoom_user_links(&self, zoom_user: &str) -> Result<Vec<MemberLink>, StoreError> {
        Ok(lock(&self.links)
            .values()
            .filter(|l| l.zoom_user == zoom_user)
            .cloned()
            .collect())
    }

    fn coordination(&self) -> &dyn super::Coordination {
        &self.transient
    }

    async fn flush(&self) -> Result<(), StoreError> {
        if self.flush_fails.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("no space left on device".to_owned()));
        }
        Ok(())
    }
}
