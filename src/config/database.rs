//! `DATABASE_URL` and `DATABASE_MAX_CONNECTIONS`: PostgreSQL as the store, shared by every
//! replica that names it. Unset: sled in `DATA_DIR`, as for one process.

use super::{ConfigError, Env};
use crate::secret::Secret;
use crate::store::postgres::redact;

/// The pool's size when `DATABASE_MAX_CONNECTIONS` is unset: enough for a replica's commands,
/// scheduler and webhook worker at once, few enough that ten replicas fit PostgreSQL's default
/// of 100 connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8;
/// The most connections one replica may ask for.
const MOST_CONNECTIONS: usize = 1000;

/// Where the shared store is.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`, with its password: a secret, shown only through [`Self::shown`].
    pub url: Secret,
    /// `DATABASE_MAX_CONNECTIONS`: the pool's size.
    pub max_connections: usize,
}

impl DatabaseConfig {
    /// The URL without its password, for logs and errors.
    pub fn shown(&self) -> String {
        redact(self.url.expose())
    }

    /// The database settings alone from the process environment (`None`: sled).
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let mut env = Env::new(&|key| std::env::var(key).ok());
        let database = Self::read(&mut env);
        env.finish().map(|()| database)
    }

    /// Reads the database settings through `env`, recording problems there.
    pub(crate) fn read(env: &mut Env<'_>) -> Option<Self> {
        let max_connections = match env.get("DATABASE_MAX_CONNECTIONS") {
            None => DEFAULT_MAX_CONNECTIONS,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if (1..=MOST_CONNECTIONS).contains(&n) => n,
                _ => {
                    env.problem(format!(
                        "DATABASE_MAX_CONNECTIONS is \"{raw}\": it must be a whole number from 1 \
                         to {MOST_CONNECTIONS} (the default is {DEFAULT_MAX_CONNECTIONS})."
                    ));
                    DEFAULT_MAX_CONNECTIONS
                }
            },
        };
        let url = env.get("DATABASE_URL")?;
        let scheme_ok = url.starts_with("postgres://") || url.starts_with("postgresql://");
        if !scheme_ok || url.parse::<tokio_postgres::Config>().is_err() {
            env.problem(format!(
                "DATABASE_URL is \"{}\": it must be a PostgreSQL URL like \
                 postgres://zoombot:password@db.example.com:5432/zoombot (unset it to keep the \
                 store in DATA_DIR).",
                redact(&url)
            ));
            return None;
        }
        Some(Self {
            url: Secret::new(url),
            max_connections,
        })
    }
}

/// How the store is chosen, in words for the start-up log and `doctor`.
pub fn database_status(database: Option<&DatabaseConfig>) -> String {
    database.map_or_else(
        || "sled in DATA_DIR (DATABASE_URL unset)".to_owned(),
        |d| format!("PostgreSQL at {}", d.shown()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> (Option<DatabaseConfig>, Vec<String>) {
        let lookup = |key: &str| {
            vars.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        };
        let mut env = Env::new(&lookup);
        let config = DatabaseConfig::read(&mut env);
        let problems = match env.finish() {
            Ok(()) => Vec::new(),
            Err(err) => err.problems,
        };
        (config, problems)
    }

    #[test]
    fn unset_means_sled_and_a_postgres_url_means_postgresql() {
        assert!(read(&[]).0.is_none());
        let socket = read(&[("DATABASE_URL", "postgres://zb@%2Frun%2Fpostgresql/zb")]);
        assert!(
            socket.0.is_some(),
            "a unix socket's directory as the host: {:?}",
            socket.1
        );
        let (config, problems) = read(&[("DATABASE_URL", "postgres://zb:hunter2@db:5432/zb")]);
        let config = config.expect("read");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(config.shown(), "postgres://zb:***@db:5432/zb");
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!database_status(Some(&config)).contains("hunter2"));
    }

    #[test]
    fn a_url_of_another_kind_or_a_bad_pool_size_is_refused_without_its_password() {
        let (config, problems) = read(&[
            ("DATABASE_URL", "mysql://zb:hunter2@db/zb"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
        ]);
        assert!(config.is_none());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems.iter().all(|p| !p.contains("hunter2")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("DATABASE_MAX_CONNECTIONS"))
        );
        assert!(problems.iter().any(|p| p.contains("postgres://")));
    }
}
