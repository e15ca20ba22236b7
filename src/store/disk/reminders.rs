//! The index of due times the reminders' scheduler reads: every server's meetings by when the
//! scheduler must look at them next.

use jiff::Timestamp;

use super::SledStore;
use super::keys::{ordered, read_reminder_key, reminder_key};
use crate::store::{MeetingRecord, StoreError};

impl SledStore {
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
            let Some((_, guild, zoom_id)) = read_reminder_key(&key) else {
                continue;
            };
            match self.read_meeting(guild, zoom_id)? {
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
        Ok(
            read_reminder_key(&key)
                .and_then(|(seconds, _, _)| Timestamp::from_second(seconds).ok()),
        )
    }
}
