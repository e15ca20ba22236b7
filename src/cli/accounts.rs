//! Doctor's lines about members' own Zoom accounts: off, or on with the redirect URL to paste
//! and whether Zoom accepts the user app's credentials.

use crate::config::{AccountsConfig, accounts_status};
use crate::secret::Secret;
use crate::zoom::user_auth::{GrantError, UserApp};

/// A refresh token no one was ever given: Zoom answers `invalid_grant` when the app's
/// credentials are right and `invalid_client` when they are not, and changes nothing either way.
const PROBE: &str = "zoombot-doctor-probe";

/// Checks the user app, when configured; true unless something is wrong.
pub async fn check() -> bool {
    let accounts = match AccountsConfig::from_env() {
        Ok(Some(accounts)) => accounts,
        Ok(None) => {
            println!("info  member accounts: {}", accounts_status(None));
            return true;
        }
        Err(err) => {
            return super::doctor::verdict(false, "member accounts", &err.problems.join(" "));
        }
    };
    println!(
        "info  member accounts: {}",
        accounts_status(Some(&accounts))
    );
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .unwrap_or_default();
    let app = UserApp::new(http, accounts.app.clone());
    match app.refresh(&Secret::new(PROBE)).await {
        Err(GrantError::InvalidGrant { .. }) => super::doctor::verdict(
            true,
            "member accounts",
            "Zoom accepts ZOOM_USER_CLIENT_ID and ZOOM_USER_CLIENT_SECRET",
        ),
        Err(GrantError::Refused { error, .. }) if error == "invalid_client" => {
            super::doctor::verdict(
                false,
                "member accounts",
                "Zoom refuses ZOOM_USER_CLIENT_ID / ZOOM_USER_CLIENT_SECRET: copy both again from \
                 the user-managed app's App Credentials page",
            )
        }
        Err(err) => super::doctor::verdict(
            false,
            "member accounts",
            &format!("the user app could not be checked: {err}"),
        ),
        Ok(_) => super::doctor::verdict(
            false,
            "member accounts",
            "Zoom accepted a made-up refresh token: ZOOM_OAUTH_URL may not be Zoom's",
        ),
    }
}
