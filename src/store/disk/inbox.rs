//! The webhook inbox: events kept in the order received, and the key of every event received,
//! written together in one transaction, so an event is kept exactly when its key is.

use jiff::Timestamp;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::SledStore;
use super::{decode, encode};
use crate::store::{InboxEntry, StoreError};

const ENTRY: &str = "webhook inbox record";
const KEY: &str = "webhook key record";

impl SledStore {
    /// [`crate::store::Store::receive_event`].
    pub(super) fn receive(&self, key: &str, raw: &str, at: Timestamp) -> Result<bool, StoreError> {
        let seq = self.db.generate_id().map_err(self.err())?;
        let entry = InboxEntry {
            seq,
            key: key.to_owned(),
            received_at: at,
            raw: raw.to_owned(),
        };
        let (entry, when) = (encode(&entry), encode(&at));
        let kept = (&self.inbox, &self.inbox_keys).transaction(|(inbox, keys)| {
            if keys.get(key)?.is_some() {
                return Ok(false);
            }
            keys.insert(key, when.as_slice())?;
            inbox.insert(&seq.to_be_bytes(), entry.as_slice())?;
            Ok::<_, ConflictableTransactionError<()>>(true)
        });
        match kept {
            Ok(kept) => Ok(kept),
            Err(TransactionError::Storage(e)) => Err(self.err()(e)),
            Err(TransactionError::Abort(())) => Err(StoreError::Backend(
                "the inbox write was aborted".to_owned(),
            )),
        }
    }

    /// [`crate::store::Store::pending_events`].
    pub(super) fn pending(&self, limit: usize) -> Result<Vec<InboxEntry>, StoreError> {
        self.inbox
            .iter()
            .values()
            .take(limit)
            .map(|bytes| decode(ENTRY, &bytes.map_err(self.err())?))
            .collect()
    }

    /// [`crate::store::Store::forget_event_keys`].
    pub(super) fn forget_keys(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut forgotten = 0;
        for entry in &self.inbox_keys {
            let (key, bytes) = entry.map_err(self.err())?;
            if decode::<Timestamp>(KEY, &bytes).is_ok_and(|at| at < before) {
                self.inbox_keys.remove(key).map_err(self.err())?;
                forgotten += 1;
            }
        }
        Ok(forgotten)
    }
}
