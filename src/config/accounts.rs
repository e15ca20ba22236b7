//! `ZOOM_USER_CLIENT_ID`, `ZOOM_USER_CLIENT_SECRET` (a user-managed Zoom app) with `PUBLIC_URL`:
//! whether members may link their own Zoom accounts. `ZOOM_USER_WEBHOOK_SECRET_TOKEN` turns on
//! that app's deauthorization notices.

use super::{Env, public_url};
use crate::secret::Secret;
use crate::zoom::user_auth::UserAppConfig;

/// Members' own Zoom accounts.
#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// The user app, its token endpoint and the callback Zoom redirects members to.
    pub app: UserAppConfig,
    /// What the user app signs its webhooks (`app_deauthorized`) with.
    pub webhook_secret: Option<Secret>,
}

impl AccountsConfig {
    /// Reads the user app's settings through `env`; `oauth_url` is `ZOOM_OAUTH_URL`, read
    /// already. `None`: members cannot link accounts.
    pub(crate) fn read(env: &mut Env<'_>, oauth_url: &str) -> Option<Self> {
        let id = env.get("ZOOM_USER_CLIENT_ID");
        let secret = env.get("ZOOM_USER_CLIENT_SECRET");
        let webhook_secret = env.get("ZOOM_USER_WEBHOOK_SECRET_TOKEN").map(Secret::new);
        let (client_id, client_secret) = match (id, secret) {
            (None, None) => {
                if webhook_secret.is_some() {
                    env.problem(
                        "ZOOM_USER_WEBHOOK_SECRET_TOKEN is set but ZOOM_USER_CLIENT_ID and \
                         ZOOM_USER_CLIENT_SECRET are not: set the user app's credentials too \
                         (README: Members' own Zoom accounts), or unset it."
                            .to_owned(),
                    );
                }
                return None;
            }
            (Some(id), Some(secret)) => (id, secret),
            (Some(_), None) | (None, Some(_)) => {
                env.problem(
                    "ZOOM_USER_CLIENT_ID and ZOOM_USER_CLIENT_SECRET go together: set both, from Zoom \
                     App Marketplace → Manage → your user-managed General app → App Credentials, or \
                     neither to keep every meeting on the server's Zoom host."
                        .to_owned(),
                );
                return None;
            }
        };
        let Some(url) = env.get("PUBLIC_URL") else {
            env.problem(
                "ZOOM_USER_CLIENT_ID is set but PUBLIC_URL is not: Zoom sends members back to \
                 PUBLIC_URL/zoom/oauth/callback after they allow the app. Set PUBLIC_URL to the https \
                 address where HTTP_ADDR is reachable, like https://bot.example.com."
                    .to_owned(),
            );
            return None;
        };
        let public = public_url(env, &url)?;
        Some(Self {
            app: UserAppConfig {
                client_id,
                client_secret: Secret::new(client_secret),
                token_url: oauth_url.to_owned(),
                redirect_uri: format!("{public}/zoom/oauth/callback"),
            },
            webhook_secret,
        })
    }
}

/// What the start-up log and `zoombot doctor` say about members' own accounts.
pub fn accounts_status(accounts: Option<&AccountsConfig>) -> String {
    match accounts {
        Some(accounts) => format!(
            "on: members link their Zoom accounts with /zoom link; Zoom sends them back to {}{}",
            accounts.app.redirect_uri,
            if accounts.webhook_secret.is_some() {
                ""
            } else {
                " (ZOOM_USER_WEBHOOK_SECRET_TOKEN unset: a member who removes the app in Zoom is noticed at their next command)"
            }
        ),
        None => {
            "off: every meeting is hosted by the server's Zoom user. To let members host their \
                 own, set ZOOM_USER_CLIENT_ID, ZOOM_USER_CLIENT_SECRET and PUBLIC_URL (README: \
                 Members' own Zoom accounts)"
                .to_owned()
        }
    }
}

impl AccountsConfig {
    /// The user app's settings alone from the process environment (`None`: members cannot link
    /// accounts), for `zoombot doctor`.
    pub fn from_env() -> Result<Option<Self>, super::ConfigError> {
        let mut env = Env::new(&|key| std::env::var(key).ok());
        let oauth_url = env.url("ZOOM_OAUTH_URL", "https://zoom.us/oauth/token");
        let accounts = Self::read(&mut env, &oauth_url);
        env.finish().map(|()| accounts)
    }
}
