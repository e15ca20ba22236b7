//! `zoombot migrate`, and doctor's lines about the store: sled in `DATA_DIR`, or PostgreSQL with
//! its schema version.

use std::process::ExitCode;

use crate::config::{DatabaseConfig, database_status};
use crate::store::PgStore;

/// Exit code of `migrate` without `DATABASE_URL`: nothing to do, which a deploy script should
/// notice.
const NOT_POSTGRES: u8 = 2;

/// Brings the database's schema up to date (a deploy step before new replicas start; each
/// replica also does it at start, under the same advisory lock).
pub async fn migrate() -> ExitCode {
    let database = match DatabaseConfig::from_env() {
        Ok(Some(database)) => database,
        Ok(None) => {
            eprintln!(
                "DATABASE_URL is not set: `zoombot migrate` is for the PostgreSQL store (the sled \
                 store in DATA_DIR needs no migration)."
            );
            return ExitCode::from(NOT_POSTGRES);
        }
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    match PgStore::migrate(database.url.expose()).await {
        Ok(done) if done.from == done.to => {
            println!(
                "{}: the schema is up to date (version {})",
                database.shown(),
                done.to
            );
            ExitCode::SUCCESS
        }
        Ok(done) => {
            println!(
                "{}: the schema went from version {} to {}",
                database.shown(),
                done.from,
                done.to
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Checks the store doctor's way; true unless something is wrong.
pub async fn check() -> bool {
    let database = match DatabaseConfig::from_env() {
        Ok(Some(database)) => database,
        Ok(None) => {
            println!("info  store: {}", database_status(None));
            return true;
        }
        Err(err) => return super::doctor::verdict(false, "store", &err.problems.join(" ")),
    };
    let at = database_status(Some(&database));
    match PgStore::schema_status(database.url.expose()).await {
        Ok(status) => match status.found {
            None => super::doctor::verdict(
                true,
                "store",
                &format!(
                    "{at} answers; no schema yet: `zoombot migrate` (or the bot's start) makes \
                     version {}",
                    status.known
                ),
            ),
            Some(found) if found > status.known => super::doctor::verdict(
                false,
                "store",
                &format!(
                    "{at}: the schema is version {found}, newer than this zoombot knows ({}): \
                     run the newer zoombot",
                    status.known
                ),
            ),
            Some(found) => super::doctor::verdict(
                true,
                "store",
                &format!(
                    "{at} answers; schema version {found} (this zoombot knows up to {}){}",
                    status.known,
                    if found < status.known {
                        ": the bot's start (or `zoombot migrate`) brings it up to date"
                    } else {
                        ""
                    }
                ),
            ),
        },
        Err(err) => super::doctor::verdict(false, "store", &err.to_string()),
    }
}
