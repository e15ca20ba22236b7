//! The indexes beside the meeting records: Zoom id → server, each server's meetings by end, and
//! every server's meetings by when the reminders' scheduler must look at them next. An index may
//! hold an entry a crash left behind (readers check the record), never lack one.

use jiff::Timestamp;

use super::SledStore;
use super::keys::{by_end_key, end_key, meeting_key, ordered, read_timed_key, reminder_key};
use super::{MEETING, decode};
use crate::store::{MeetingRecord, StoreError};

/// The `meta` key that says which indexes every record is in.
const INDEXED: &[u8] = b"indexed";
/// Zoom ids, ends per server, due times, ends across servers.
const INDEXES: [u8; 1] = [2];

impl SledStore {
    /// Indexes records written before the indexes existed, once: a marker says it was done, so
    /// opening a store reads no record (with 100,000 meetings, a scan at every start would
    /// cost a second and fill sled's page cache).
    pub(super) fn index(&self) -> Result<(), StoreError> {
        if self.meta.get(INDEXED).map_err(self.err())?.as_deref() == Some(&INDEXES[..]) {
            return Ok(());
        }
        for entry in &self.meetings {
            let (_, bytes) = entry.map_err(self.err())?;
            // Unreadable and newer records are left as they are, like everywhere else.
            if let Ok(record) = decode::<MeetingRecord>(MEETING, &bytes) {
                self.index_record(&record)?;
            }
        }
        self.meta.insert(INDEXED, &INDEXES).map_err(self.err())?;
        Ok(())
    }

    pub(super) fn index_record(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        self.zoom_ids
            .insert(record.zoom_id.to_be_bytes(), &record.guild.0.to_be_bytes())
            .map_err(self.err())?;
        self.ends.insert(end_key(record), &[]).map_err(self.err())?;
        self.by_end
            .insert(by_end_key(record), &[])
            .map_err(self.err())?;
        if let Some(key) = reminder_key(record) {
            self.reminders.insert(key, &[]).map_err(self.err())?;
        }
        Ok(())
    }

    /// After `old` became `new`: its end entry moves (the new one is already in).
    pub(super) fn reindexed(
        &self,
        old: Option<&MeetingRecord>,
        new: &MeetingRecord,
    ) -> Result<(), StoreError> {
        if let Some(old) = old.filter(|old| end_key(old) != end_key(new)) {
            self.ends.remove(end_key(old)).map_err(self.err())?;
            self.by_end.remove(by_end_key(old)).map_err(self.err())?;
        }
        if let Some(key) = old
            .and_then(reminder_key)
            .filter(|k| Some(*k) != reminder_key(new))
        {
            self.reminders.remove(key).map_err(self.err())?;
        }
        Ok(())
    }

    /// [`crate::store::Store::prune_meetings`], through the index by end: only the meetings that
    /// ended are read.
    pub(super) fn prune(&self, ended_before: Timestamp) -> Result<usize, StoreError> {
        let mut pruned = 0;
        let end = ordered(ended_before.as_second());
        for entry in self.by_end.range(..end).keys() {
            let key = entry.map_err(self.err())?;
            let Some((_, guild, zoom_id)) = read_timed_key(&key) else {
                continue;
            };
            let meeting = meeting_key(guild, zoom_id);
            let Some(bytes) = self.meetings.get(meeting).map_err(self.err())? else {
                self.by_end.remove(&key).map_err(self.err())?;
                continue;
            };
            // Unreadable and newer records are left as they are, like everywhere else.
            let Ok(record) = decode::<MeetingRecord>(MEETING, &bytes) else {
                continue;
            };
            if by_end_key(&record)[..] != key[..] {
                // Left behind by an end that moved: the record belongs under its end now.
                self.by_end
                    .insert(by_end_key(&record), &[])
                    .map_err(self.err())?;
                self.by_end.remove(&key).map_err(self.err())?;
                continue;
            }
            // Only if unchanged since it was read: a concurrent update wins.
            let removed = self
                .meetings
                .compare_and_swap(meeting, Some(bytes), None::<&[u8]>)
                .map_err(self.err())?;
            if removed.is_ok() {
                self.zoom_ids
                    .remove(record.zoom_id.to_be_bytes())
                    .map_err(self.err())?;
                self.ends.remove(end_key(&record)).map_err(self.err())?;
                self.by_end.remove(&key).map_err(self.err())?;
                if let Some(key) = reminder_key(&record) {
                    self.reminders.remove(key).map_err(self.err())?;
                }
                pruned += 1;
            }
        }
        Ok(pruned)
    }

    /// [`crate::store::Store::due_reminders`].
    pub(super) fn due(
        &self,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        let end = ordered(until.as_second().saturating_add(1));
        let mut due = Vec::new();
        for entry in self.reminders.range(..end).keys() {
            if due.len() >= limit {
                break;
            }
            let key = entry.map_err(self.err())?;
            let Some((_, guild, zoom_id)) = read_timed_key(&key) else {
                continue;
            };
            let read = match self.read_meeting(guild, zoom_id) {
                Ok(read) => read,
                Err(err) => {
                    // One unreadable record must not hold up every server's reminders: it is
                    // left as it is, out of the index.
                    tracing::warn!(error = %err, meeting_id = zoom_id, "a meeting's reminder is dropped: its record cannot be read");
                    None
                }
            };
            match read {
                Some(record) if reminder_key(&record).is_some_and(|k| k[..] == key[..]) => {
                    due.push(record);
                }
                // Left behind by a crash between an update and its cleanup: the record says
                // no reminder is pending at this time.
                _ => {
                    self.reminders.remove(&key).map_err(self.err())?;
                }
            }
        }
        Ok(due)
    }

    /// [`crate::store::Store::next_reminder`].
    pub(super) fn next_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let Some(key) = self.reminders.first().map_err(self.err())?.map(|(k, _)| k) else {
            return Ok(None);
        };
        Ok(read_timed_key(&key).and_then(|(seconds, _, _)| Timestamp::from_second(seconds).ok()))
    }
}
