//! The schema's migrations: SQL files in `migrations/`, built into the binary, applied in order
//! at start in one transaction under an advisory lock, so replicas starting together apply each
//! once. `zoombot_schema` records the version reached; a database at a version newer than this
//! build knows is refused and left as it is.

use tokio_postgres::Client;

use super::Fail;
use crate::store::StoreError;

/// The migrations, in order: the schema is at version N once the first N are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_initial.sql"),
    include_str!("../../../migrations/0002_unfinished.sql"),
    include_str!("../../../migrations/0003_take_slot.sql"),
];

/// The newest schema version this build knows (and migrates to).
pub const SCHEMA_VERSION: u32 = 3;

/// The `pg_advisory_xact_lock` key every zoombot migrates under ("zoombot" in ASCII): one fixed
/// key, so two starting replicas wait for each other rather than both creating tables.
const LOCK_KEY: i64 = 0x007a_6f6f_6d62_6f74;

const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS zoombot_schema (\
     only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), \
     version integer NOT NULL)";

/// What a migration did: the schema's version before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The version found (0: an empty database).
    pub from: u32,
    /// The version now.
    pub to: u32,
}

/// The version recorded in `zoombot_schema`, `None` when the table is absent (a database no
/// zoombot migrated yet).
pub(super) async fn read_version(client: &Client, fail: &Fail) -> Result<Option<u32>, StoreError> {
    let exists = client
        .query_one("SELECT to_regclass('zoombot_schema') IS NOT NULL", &[])
        .await
        .map_err(fail.db())?;
    if !exists.get::<_, bool>(0) {
        return Ok(None);
    }
    let row = client
        .query_opt("SELECT version FROM zoombot_schema", &[])
        .await
        .map_err(fail.db())?;
    Ok(Some(row.map_or(0, |r| version(r.get(0)))))
}

fn version(stored: i32) -> u32 {
    u32::try_from(stored).unwrap_or(0)
}

/// Applies the migrations this database lacks, in one transaction: all or none.
pub(super) async fn migrate(client: &mut Client, fail: &Fail) -> Result<Migrated, StoreError> {
    let tx = client.transaction().await.map_err(fail.db())?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(fail.db())?;
    tx.batch_execute(CREATE_VERSION_TABLE)
        .await
        .map_err(fail.db())?;
    let from = tx
        .query_opt("SELECT version FROM zoombot_schema", &[])
        .await
        .map_err(fail.db())?
        .map_or(0, |r| version(r.get(0)));
    if from > SCHEMA_VERSION {
        // Dropping the transaction rolls it back: nothing was changed.
        return Err(StoreError::NewerSchema {
            found: from,
            known: SCHEMA_VERSION,
        });
    }
    for sql in MIGRATIONS
        .iter()
        .skip(usize::try_from(from).unwrap_or(usize::MAX))
    {
        tx.batch_execute(sql).await.map_err(fail.db())?;
    }
    let to = i32::try_from(SCHEMA_VERSION).unwrap_or(i32::MAX);
    tx.execute(
        "INSERT INTO zoombot_schema (only_row, version) VALUES (true, $1) \
         ON CONFLICT (only_row) DO UPDATE SET version = EXCLUDED.version",
        &[&to],
    )
    .await
    .map_err(fail.db())?;
    tx.commit().await.map_err(fail.db())?;
    Ok(Migrated {
        from,
        to: SCHEMA_VERSION,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_is_counted_in_the_schema_version() {
        assert_eq!(MIGRATIONS.len(), SCHEMA_VERSION as usize);
    }
}
