//! The Zoom client's settings: the Server-to-Server OAuth app's credentials, the API and token
//! endpoints, the host users and the timeouts.

use std::time::Duration;

use super::{ConfigError, Env};
use crate::secret::Secret;

/// Where a Server-to-Server OAuth app's credentials live in the Zoom App Marketplace.
const ZOOM_CREDENTIALS: &str =
    "Zoom App Marketplace → Manage → your Server-to-Server OAuth app → App Credentials";

/// Settings of the Zoom client.
#[derive(Debug, Clone)]
pub struct ZoomConfig {
    /// `ZOOM_ACCOUNT_ID`.
    pub account_id: String,
    /// `ZOOM_CLIENT_ID`.
    pub client_id: String,
    /// `ZOOM_CLIENT_SECRET`.
    pub client_secret: Secret,
    /// `ZOOM_API_BASE`, without a trailing slash.
    pub api_base: String,
    /// `ZOOM_OAUTH_URL`.
    pub oauth_url: String,
    /// `ZOOM_HOST_USER`: the Zoom user meetings are created under.
    pub host_user: String,
    /// `ZOOM_HOST_USERS`: the other Zoom users a server may pick as its host (`*`: any user in
    /// the account). A host link signs its holder in as that user, so the operator decides.
    pub allowed_host_users: Vec<String>,
    /// `ZOOM_CONNECT_TIMEOUT`.
    pub connect_timeout: Duration,
    /// `ZOOM_REQUEST_TIMEOUT`.
    pub request_timeout: Duration,
}

impl ZoomConfig {
    /// Reads the Zoom settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::new(&|key| std::env::var(key).ok());
        let zoom = Self::read(&mut env);
        env.finish().map(|()| zoom)
    }

    /// Reads the Zoom settings through `env`, recording problems there.
    pub(crate) fn read(env: &mut Env<'_>) -> Self {
        let legacy_jwt = ["ZOOM_API_KEY", "ZOOM_API_SECRET"]
            .into_iter()
            .any(|key| env.get(key).is_some());
        let missing_s2s = ["ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"]
            .into_iter()
            .any(|key| env.get(key).is_none());
        if legacy_jwt && missing_s2s {
            env.problem(
                "ZOOM_API_KEY / ZOOM_API_SECRET are credentials of a JWT app, which Zoom retired in \
                 September 2023. Create a Server-to-Server OAuth app in the Zoom App Marketplace \
                 (Develop → Build App → Server-to-Server OAuth) and set ZOOM_ACCOUNT_ID, \
                 ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET instead."
                    .to_owned(),
            );
        }
        Self {
            account_id: env.required(
                "ZOOM_ACCOUNT_ID",
                &format!("the Account ID in {ZOOM_CREDENTIALS}"),
            ),
            client_id: env.required(
                "ZOOM_CLIENT_ID",
                &format!("the Client ID in {ZOOM_CREDENTIALS}"),
            ),
            client_secret: Secret::new(env.required(
                "ZOOM_CLIENT_SECRET",
                &format!("the Client Secret in {ZOOM_CREDENTIALS}"),
            )),
            api_base: env.url("ZOOM_API_BASE", "https://api.zoom.us/v2"),
            oauth_url: env.url("ZOOM_OAUTH_URL", "https://zoom.us/oauth/token"),
            host_user: env.get("ZOOM_HOST_USER").unwrap_or_else(|| "me".to_owned()),
            allowed_host_users: env
                .get("ZOOM_HOST_USERS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            connect_timeout: env.duration("ZOOM_CONNECT_TIMEOUT", Duration::from_secs(5)),
            request_timeout: env.duration("ZOOM_REQUEST_TIMEOUT", Duration::from_secs(15)),
        }
    }
}
