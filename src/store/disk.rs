//! The sled store: one directory (`DATA_DIR`), one tree per kind of record. sled writes to disk in
//! the background every 500 ms, so [`Store::flush`] is what makes a write durable.
//! How a flush covers a burst of writes is in `flush.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod daily;
mod flush;
mod inbox;
mod index;
mod keys;
mod links;
mod settings;
mod unfinished;

use flush::Flusher;
use keys::{end_key, meeting_key, ordered};

use super::codec::{decode, encode};
use jiff::Timestamp;
use jiff::civil::Date;

use async_trait::async_trait;

use super::{
    GuildSettings, InboxEntry, MeetingChange, MeetingRecord, MemberLink, MemberPrefs, PendingLink,
    SettingsChange, Store, StoreError, Unfinished,
};
use crate::ids::{GuildId, MemberId};

const MEETING: &str = "meeting record";
const SETTINGS: &str = "server settings record";
const PREFS: &str = "member preference record";

/// The on-disk store.
#[derive(Debug, Clone)]
pub struct SledStore {
    db: sled::Db,
    dir: PathBuf,
    meetings: sled::Tree,
    guilds: sled::Tree,
    members: sled::Tree,
    /// Zoom meeting id → the server whose record has it.
    zoom_ids: sled::Tree,
    /// (server, end, Zoom id) → nothing: each server's meetings by when they end. May hold an
    /// entry a crash left behind (readers check the record), never lacks one.
    ends: sled::Tree,
    /// (due, server, Zoom id) → nothing: every pending reminder by when it is due. Like `ends`,
    /// may hold an entry a crash left behind, never lacks one.
    reminders: sled::Tree,
    /// (end, server, Zoom id) → nothing: every meeting by end, for pruning. The same rules.
    by_end: sled::Tree,
    /// Facts about the store itself (which indexes are built).
    meta: sled::Tree,
    /// Webhook events received and not applied yet, by order of receipt.
    inbox: sled::Tree,
    /// Every webhook event's key → when it was received: a redelivery is a duplicate.
    inbox_keys: sled::Tree,
    /// Daily quotas: counter name → its [`super::DailyCount`].
    daily: sled::Tree,
    /// `/zoom link`s begun: a hash of the state value → its [`PendingLink`].
    pending_links: sled::Tree,
    /// Members' linked Zoom accounts: member id → its [`MemberLink`].
    links: sled::Tree,
    /// Interactions taken up and not answered yet: id → its [`super::Unfinished`].
    unfinished: sled::Tree,
    flusher: Arc<Flusher>,
    /// One process has the directory, so what replicas would share is this process's own.
    transient: Arc<super::transient::Transient>,
}

fn backend(dir: &Path) -> impl Fn(sled::Error) -> StoreError + '_ {
    move |e| StoreError::Backend(format!("{} ({e})", dir.display()))
}

/// The most sled keeps of its pages in memory. sled splits it into 256 shards: much smaller and
/// a shard cannot hold one large leaf, which is then read back from disk on every access.
const SLED_CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl SledStore {
    /// Opens (or creates) the store in `dir`. Only one process may have it open.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Backend(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
        // sled caches up to 1 GiB of pages by default, far beyond what a bot's records need:
        // bounded, a burst of writes costs pages that are evicted rather than kept. LowSpace
        // (sled's default, said here so it stays so) compacts the log instead of growing it.
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(SLED_CACHE_BYTES)
            .mode(sled::Mode::LowSpace)
            .open()
            .map_err(|e| match e {
                // sled takes an exclusive file lock on its directory.
                sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                    StoreError::Locked(dir.to_owned())
                }
                other => backend(dir)(other),
            })?;
        let tree = |name: &str| db.open_tree(name).map_err(backend(dir));
        let store = Self {
            meetings: tree("meetings")?,
            guilds: tree("guild_settings")?,
            members: tree("member_prefs")?,
            zoom_ids: tree("zoom_ids")?,
            ends: tree("meeting_ends")?,
            reminders: tree("reminders")?,
            by_end: tree("meetings_by_end")?,
            meta: tree("meta")?,
            inbox: tree("webhook_inbox")?,
            inbox_keys: tree("webhook_keys")?,
            daily: tree("daily")?,
            pending_links: tree("pending_links")?,
            links: tree("member_links")?,
            unfinished: tree("unfinished")?,
            dir: dir.to_owned(),
            db,
            flusher: Arc::default(),
            transient: Arc::default(),
        };
        store.index()?;
        Ok(store)
    }

    /// How many servers have settings.
    pub fn guild_count(&self) -> usize {
        self.guilds.len()
    }

    fn read_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.meetings
            .get(meeting_key(guild, zoom_id))
            .map_err(self.err())?
            .map(|bytes| decode(MEETING, &bytes))
            .transpose()
    }

    fn err(&self) -> impl Fn(sled::Error) -> StoreError + '_ {
        backend(&self.dir)
    }
}

#[async_trait]
impl Store for SledStore {
    async fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        // The indexes first: a record is never without its entries.
        self.index_record(record)?;
        let old = self
            .meetings
            .insert(meeting_key(record.guild, record.zoom_id), encode(record))
            .map_err(self.err())?;
        let old = old.and_then(|bytes| decode::<MeetingRecord>(MEETING, &bytes).ok());
        self.reindexed(old.as_ref(), record)
    }

    async fn meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.read_meeting(guild, zoom_id)
    }

    async fn update_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: &MeetingChange,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        let key = meeting_key(guild, zoom_id);
        loop {
            let Some(old) = self.meetings.get(key).map_err(self.err())? else {
                return Ok(None);
            };
            let before: MeetingRecord = decode(MEETING, &old)?;
            let mut record = before.clone();
            change.apply(&mut record);
            self.index_record(&record)?;
            let swapped = self
                .meetings
                .compare_and_swap(key, Some(old), Some(encode(&record)))
                .map_err(self.err())?;
            if swapped.is_ok() {
                self.reindexed(Some(&before), &record)?;
                return Ok(Some(record));
            }
        }
    }

    async fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError> {
        self.meetings
            .scan_prefix(guild.0.to_be_bytes())
            .map(|entry| {
                let (_, bytes) = entry.map_err(self.err())?;
                decode(MEETING, &bytes)
            })
            .collect()
    }

    async fn meetings_ending_after(
        &self,
        guild: GuildId,
        after: Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        let mut from = [0; 16];
        from[..8].copy_from_slice(&guild.0.to_be_bytes());
        from[8..].copy_from_slice(&ordered(after.as_second().saturating_add(1)));
        let mut to = [0; 8];
        to.copy_from_slice(&guild.0.to_be_bytes());
        let mut meetings = Vec::new();
        for entry in self.ends.range(from..).keys() {
            let key = entry.map_err(self.err())?;
            if !key.starts_with(&to) {
                break;
            }
            let Some(zoom_id) = key.get(16..).and_then(|id| <[u8; 8]>::try_from(id).ok()) else {
                continue;
            };
            // An entry a crash or a moved end left behind is checked against the record.
            if let Some(record) = self.read_meeting(guild, i64::from_be_bytes(zoom_id))?
                && record.end() > after
                && end_key(&record)[..] == key[..]
            {
                meetings.push(record);
            }
        }
        Ok(meetings)
    }

    async fn zoom_meeting(&self, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError> {
        let Some(guild) = self
            .zoom_ids
            .get(zoom_id.to_be_bytes())
            .map_err(self.err())?
        else {
            return Ok(None);
        };
        let guild = <[u8; 8]>::try_from(guild.as_ref()).map_err(|_| StoreError::Corrupt {
            what: MEETING,
            detail: "an index entry of the wrong length".to_owned(),
        })?;
        self.read_meeting(GuildId(u64::from_be_bytes(guild)), zoom_id)
    }

    async fn due_reminders(
        &self,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.due(until, limit)
    }

    async fn next_reminder(&self) -> Result<Option<Timestamp>, StoreError> {
        self.next_due()
    }

    async fn prune_meetings(&self, ended_before: Timestamp) -> Result<usize, StoreError> {
        self.prune(ended_before)
    }

    async fn take_daily(&self, counter: &str, day: Date, limit: u32) -> Result<bool, StoreError> {
        self.take_day(counter, day, limit)
    }

    async fn give_back_daily(&self, counter: &str, day: Date) -> Result<(), StoreError> {
        self.give_back_day(counter, day)
    }

    async fn guild_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError> {
        match self.guilds.get(guild.0.to_be_bytes()).map_err(self.err())? {
            Some(bytes) => decode(SETTINGS, &bytes),
            None => Ok(GuildSettings::default()),
        }
    }

    async fn update_guild_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError> {
        self.change_settings(guild, change)
    }

    async fn member_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError> {
        match self
            .members
            .get(member.0.to_be_bytes())
            .map_err(self.err())?
        {
            Some(bytes) => decode(PREFS, &bytes),
            None => Ok(MemberPrefs::default()),
        }
    }

    async fn set_member_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError> {
        self.change_timezone(member, timezone)
    }

    async fn receive_event(&self, key: &str, raw: &str, at: Timestamp) -> Result<bool, StoreError> {
        self.receive(key, raw, at)
    }

    async fn pending_events(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        self.pending(limit)
    }

    async fn applied_event(&self, seq: u64) -> Result<(), StoreError> {
        self.inbox
            .remove(seq.to_be_bytes())
            .map(drop)
            .map_err(self.err())
    }

    async fn forget_event_keys(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.forget_keys(before)
    }

    async fn put_pending_link(&self, key: &str, pending: &PendingLink) -> Result<(), StoreError> {
        self.keep_pending(key, pending)
    }

    async fn take_pending_link(&self, key: &str) -> Result<Option<PendingLink>, StoreError> {
        self.take_pending(key)
    }

    async fn forget_pending_links(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.forget_pending(before)
    }

    async fn member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        self.read_link(member)
    }

    async fn put_member_link(&self, link: &MemberLink) -> Result<(), StoreError> {
        self.write_link(link)
    }

    async fn put_unfinished(&self, unfinished: &Unfinished) -> Result<(), StoreError> {
        self.keep_unfinished(unfinished)
    }

    async fn unfinished(&self) -> Result<Vec<Unfinished>, StoreError> {
        self.all_unfinished()
    }

    async fn claim_unfinished(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError> {
        self.claim(id, from, to)
    }

    async fn finish_unfinished(&self, id: u64) -> Result<(), StoreError> {
        self.finish(id)
    }

    async fn delete_member_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        self.remove_link(member)
    }

    async fn zoom_user_links(&self, zoom_user: &str) -> Result<Vec<MemberLink>, StoreError> {
        self.links_of(zoom_user)
    }

    fn coordination(&self) -> &dyn super::Coordination {
        &*self.transient
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.flusher.flush(&self.db).await.map_err(self.err())
    }
}
