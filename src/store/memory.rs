//! An in-memory store: for tests, and for running without a data directory.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::{MeetingRecord, Store, StoreError, StoreFuture};
use crate::ids::GuildId;

/// Keeps everything in a map; nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    meetings: Mutex<BTreeMap<(GuildId, i64), MeetingRecord>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        let mut meetings = self.meetings.lock().unwrap_or_else(PoisonError::into_inner);
        meetings.insert((record.guild, record.zoom_id), record.clone());
        Ok(())
    }

    fn meeting(&self, guild: GuildId, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError> {
        let meetings = self.meetings.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(meetings.get(&(guild, zoom_id)).cloned())
    }

    fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError> {
        let meetings = self.meetings.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(meetings
            .range((guild, i64::MIN)..=(guild, i64::MAX))
            .map(|(_, r)| r.clone())
            .collect())
    }

    fn flush(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}
