//! Members' linked Zoom accounts and the `/zoom link`s begun. Few records (one per linked
//! member), so finding a Zoom user's links scans them rather than keeping a second index.

use jiff::Timestamp;

use super::SledStore;
use super::{decode, encode};
use crate::ids::MemberId;
use crate::store::{MemberLink, PendingLink, StoreError};

const LINK: &str = "member link record";
const PENDING: &str = "pending link record";

impl SledStore {
    /// [`crate::store::Store::put_pending_link`].
    pub(super) fn keep_pending(&self, key: &str, pending: &PendingLink) -> Result<(), StoreError> {
        self.pending_links
            .insert(key, encode(pending))
            .map_err(self.err())
            .map(drop)
    }

    /// [`crate::store::Store::put_member_link`].
    pub(super) fn write_link(&self, link: &MemberLink) -> Result<(), StoreError> {
        self.links
            .insert(link.member.0.to_be_bytes(), encode(link))
            .map_err(self.err())
            .map(drop)
    }

    /// [`crate::store::Store::take_pending_link`]: sled's `remove` returns what it removed, so
    /// of two callbacks with the same state exactly one gets it.
    pub(super) fn take_pending(&self, key: &str) -> Result<Option<PendingLink>, StoreError> {
        self.pending_links
            .remove(key)
            .map_err(self.err())?
            .map(|bytes| decode(PENDING, &bytes))
            .transpose()
    }

    /// [`crate::store::Store::forget_pending_links`].
    pub(super) fn forget_pending(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut forgotten = 0;
        for entry in &self.pending_links {
            let (key, bytes) = entry.map_err(self.err())?;
            if decode::<PendingLink>(PENDING, &bytes).is_ok_and(|p| p.expires_at < before) {
                self.pending_links.remove(key).map_err(self.err())?;
                forgotten += 1;
            }
        }
        Ok(forgotten)
    }

    /// [`crate::store::Store::member_link`].
    pub(super) fn read_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        self.links
            .get(member.0.to_be_bytes())
            .map_err(self.err())?
            .map(|bytes| decode(LINK, &bytes))
            .transpose()
    }

    /// [`crate::store::Store::delete_member_link`].
    pub(super) fn remove_link(&self, member: MemberId) -> Result<Option<MemberLink>, StoreError> {
        self.links
            .remove(member.0.to_be_bytes())
            .map_err(self.err())?
            .map(|bytes| decode(LINK, &bytes))
            .transpose()
    }

    /// [`crate::store::Store::zoom_user_links`].
    pub(super) fn links_of(&self, zoom_user: &str) -> Result<Vec<MemberLink>, StoreError> {
        let mut found = Vec::new();
        for bytes in self.links.iter().values() {
            let link: MemberLink = decode(LINK, &bytes.map_err(self.err())?)?;
            if link.zoom_user == zoom_user {
                found.push(link);
            }
        }
        Ok(found)
    }
}
