//! The keys of the sled trees: big-endian, so sled's byte order is the order the store reads in.

use crate::ids::GuildId;
use crate::store::MeetingRecord;

/// Sorts by end within a server: the end's seconds with the sign bit flipped, big-endian.
pub(super) fn end_key(record: &MeetingRecord) -> [u8; 24] {
    let mut key = [0; 24];
    key[..8].copy_from_slice(&record.guild.0.to_be_bytes());
    key[8..16].copy_from_slice(&ordered(record.end().as_second()));
    key[16..].copy_from_slice(&record.zoom_id.to_be_bytes());
    key
}

/// Sorts every server's pending reminders by due time: the due seconds (sign bit flipped), the
/// server, the Zoom id, big-endian. `None` when the record has no reminder pending.
pub(super) fn reminder_key(record: &MeetingRecord) -> Option<[u8; 24]> {
    let due = record.reminder_due?;
    Some(timed_key(due.as_second(), record))
}

/// Sorts every server's meetings by end (for pruning), laid out as [`reminder_key`].
pub(super) fn by_end_key(record: &MeetingRecord) -> [u8; 24] {
    timed_key(record.end().as_second(), record)
}

fn timed_key(seconds: i64, record: &MeetingRecord) -> [u8; 24] {
    let mut key = [0; 24];
    key[..8].copy_from_slice(&ordered(seconds));
    key[8..16].copy_from_slice(&record.guild.0.to_be_bytes());
    key[16..].copy_from_slice(&record.zoom_id.to_be_bytes());
    key
}

/// The time, server and Zoom id of a [`reminder_key`] or [`by_end_key`].
pub(super) fn read_timed_key(key: &[u8]) -> Option<(i64, GuildId, i64)> {
    let part =
        |range: std::ops::Range<usize>| -> Option<[u8; 8]> { key.get(range)?.try_into().ok() };
    let seconds = u64::from_be_bytes(part(0..8)?) ^ (1 << 63);
    Some((
        i64::from_ne_bytes(seconds.to_ne_bytes()),
        GuildId(u64::from_be_bytes(part(8..16)?)),
        i64::from_be_bytes(part(16..24)?),
    ))
}

/// Whole seconds in an order that sorts as bytes.
pub(super) fn ordered(seconds: i64) -> [u8; 8] {
    (u64::from_ne_bytes(seconds.to_ne_bytes()) ^ (1 << 63)).to_be_bytes()
}

/// A meeting record's key: its server, then its Zoom id.
pub(super) fn meeting_key(guild: GuildId, zoom_id: i64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&guild.0.to_be_bytes());
    key[8..].copy_from_slice(&zoom_id.to_be_bytes());
    key
}
