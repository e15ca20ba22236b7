//! Driver and pool failures as [`StoreError::Backend`], naming the database by its URL without
//! its password.

use deadpool_postgres::PoolError;

use super::redact;
use crate::store::StoreError;

/// Turns driver and pool errors into [`StoreError::Backend`] naming the database by its URL
/// without the password.
pub(super) struct Fail {
    pub(super) url: String,
    password: Option<String>,
}

impl Fail {
    pub(super) fn new(url: &str, config: Option<&tokio_postgres::Config>) -> Self {
        let password = config
            .and_then(tokio_postgres::Config::get_password)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .filter(|p| !p.is_empty());
        Self {
            url: redact(url),
            password,
        }
    }

    /// `what` went wrong, with the URL, never the password.
    pub(super) fn backend(&self, what: &str) -> StoreError {
        let mut message = format!("PostgreSQL at {}: {what}", self.url);
        if let Some(password) = &self.password {
            message = message.replace(password.as_str(), "***");
        }
        StoreError::Backend(message)
    }

    pub(super) fn db(&self) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
        move |e| self.backend(&chain(&e))
    }

    pub(super) fn pool(&self) -> impl Fn(PoolError) -> StoreError + '_ {
        move |e| match e {
            PoolError::Backend(e) => self.backend(&chain(&e)),
            PoolError::Timeout(_) => self.backend("no connection could be had in time"),
            other => self.backend(&other.to_string()),
        }
    }
}

/// An error and its causes, one after the other (the driver's own text is only its kind).
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}
