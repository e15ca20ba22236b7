//! How records are written: `{"v": VERSION, "d": record}` as JSON. The version comes first so a
//! record written by a newer zoombot is recognised and refused, never misread or overwritten.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// The record version this build writes and the newest it reads.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Out<'a, T> {
    v: u32,
    d: &'a T,
}

/// Read wider than written: any whole-number version above ours is "newer", not "corrupt".
#[derive(Deserialize)]
struct Header {
    v: u64,
}

#[derive(Deserialize)]
struct In<T> {
    d: T,
}

/// The stored form of `record`.
pub fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    // Serialising plain structs of strings, numbers and options into memory cannot fail.
    serde_json::to_vec(&Out {
        v: VERSION,
        d: record,
    })
    .unwrap_or_default()
}

/// Reads a stored `what` (named in errors).
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt {
        what,
        detail: format!("{:?} error at byte column {}", e.classify(), e.column()),
    };
    let header: Header = serde_json::from_slice(bytes).map_err(corrupt)?;
    if header.v > u64::from(VERSION) {
        return Err(StoreError::NewerVersion {
            what,
            version: header.v,
            supported: VERSION,
        });
    }
    if header.v == 0 {
        return Err(StoreError::Corrupt {
            what,
            detail: "record version 0".to_owned(),
        });
    }
    serde_json::from_slice::<In<T>>(bytes)
        .map(|r| r.d)
        .map_err(corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{GuildSettings, MemberPrefs};

    #[test]
    fn a_record_reads_back_as_written() {
        let settings = GuildSettings {
            duration_minutes: Some(45),
            timezone: Some("Europe/Berlin".into()),
            ..GuildSettings::default()
        };
        let bytes = encode(&settings);
        assert!(
            bytes.starts_with(br#"{"v":1,"#),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        assert_eq!(
            decode::<GuildSettings>("settings", &bytes).unwrap(),
            settings
        );
    }

    #[test]
    fn a_newer_version_is_refused_by_name() {
        let err =
            decode::<MemberPrefs>("member preference", br#"{"v":2,"d":{"tz":"x"}}"#).unwrap_err();
        assert!(matches!(
            err,
            StoreError::NewerVersion {
                version: 2,
                supported: 1,
                ..
            }
        ));
        assert!(err.to_string().contains("newer zoombot"), "{err}");
    }

    #[test]
    fn garbage_and_wrong_shapes_are_corrupt() {
        for bytes in [
            &b"\xff\x00garbage"[..],
            br#"{"d":{}}"#,
            br#"{"v":0,"d":{}}"#,
            br#"{"v":1,"d":{"dur":"long"}}"#,
            br#"{"v":1}"#,
        ] {
            assert!(
                matches!(
                    decode::<GuildSettings>("settings", bytes),
                    Err(StoreError::Corrupt { .. })
                ),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
