//! `PUBLIC_URL` and `ZOOM_WEBHOOK_SECRET_TOKEN`: whether Zoom's lifecycle posts are received. Both
//! or neither: one alone is a mistake half-way through setting them up, so it is reported.

use super::{ConfigError, Env};
use crate::secret::Secret;

/// Where the Secret Token is in the Zoom App Marketplace.
const SECRET_HINT: &str = "the Secret Token in Zoom App Marketplace → Manage → your \
     Server-to-Server OAuth app → Features → Access (Event Subscriptions)";

/// Settings of the Zoom webhook endpoint.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `PUBLIC_URL`: the https base where `HTTP_ADDR` is reachable, without a trailing slash.
    pub public_url: String,
    /// `ZOOM_WEBHOOK_SECRET_TOKEN`: what Zoom signs its posts with.
    pub secret: Secret,
}

impl WebhookConfig {
    /// The URL to paste into Zoom's Event notification endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("{}/zoom/webhook", self.public_url)
    }

    /// The webhook settings alone from the process environment (`None`: webhooks are off).
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let mut env = Env::new(&|key| std::env::var(key).ok());
        let webhooks = Self::read(&mut env);
        env.finish().map(|()| webhooks)
    }

    /// Reads the webhook settings through `env`, recording problems there.
    pub(crate) fn read(env: &mut Env<'_>) -> Option<Self> {
        let url = env.get("PUBLIC_URL");
        let secret = env.get("ZOOM_WEBHOOK_SECRET_TOKEN");
        match (url, secret) {
            (None, None) => None,
            // PUBLIC_URL is also where members' own accounts come back to.
            (Some(_), None) if env.get("ZOOM_USER_CLIENT_ID").is_some() => None,
            (Some(_), None) => {
                env.problem(format!(
                    "PUBLIC_URL is set but ZOOM_WEBHOOK_SECRET_TOKEN is not: Zoom's webhooks need \
                     both. Set ZOOM_WEBHOOK_SECRET_TOKEN to {SECRET_HINT}, or unset PUBLIC_URL to \
                     turn webhooks off."
                ));
                None
            }
            (None, Some(_)) => {
                env.problem(
                    "ZOOM_WEBHOOK_SECRET_TOKEN is set but PUBLIC_URL is not: Zoom's webhooks need \
                     both. Set PUBLIC_URL to the https address where HTTP_ADDR is reachable from \
                     the internet (like https://bot.example.com), or unset \
                     ZOOM_WEBHOOK_SECRET_TOKEN to turn webhooks off."
                        .to_owned(),
                );
                None
            }
            (Some(url), Some(secret)) => {
                let public_url = public_url(env, &url)?;
                Some(Self {
                    public_url,
                    secret: Secret::new(secret),
                })
            }
        }
    }
}

/// `PUBLIC_URL` checked: Zoom posts only to https, so plain http is only for this machine
/// (tests, a tunnel's local side); a query would end up before `/zoom/webhook`.
pub(super) fn public_url(env: &mut Env<'_>, value: &str) -> Option<String> {
    let trimmed = value.trim_end_matches('/');
    let why = match reqwest::Url::parse(trimmed) {
        Err(_) => Some("it is not an absolute URL"),
        Ok(url) if url.host_str().is_none_or(str::is_empty) => Some("it has no host"),
        Ok(url) if url.query().is_some() || url.fragment().is_some() => {
            Some("it has a query or fragment")
        }
        Ok(url) if url.scheme() == "https" => None,
        Ok(url)
            if url.scheme() == "http"
                && matches!(url.host_str(), Some("localhost" | "127.0.0.1")) =>
        {
            None
        }
        Ok(_) => Some("Zoom posts only to https:// addresses (http:// only for localhost)"),
    };
    match why {
        None => Some(trimmed.to_owned()),
        Some(why) => {
            env.problem(format!(
                "PUBLIC_URL is {value:?}, but {why}. Write the https address where HTTP_ADDR is \
                 reachable, like https://bot.example.com (Zoom posts to PUBLIC_URL/zoom/webhook)."
            ));
            None
        }
    }
}

/// What the start-up log and `zoombot doctor` say about webhooks: on, with the URL Zoom posts
/// to, or off, with how to turn them on.
pub fn webhook_status(webhooks: Option<&WebhookConfig>) -> String {
    match webhooks {
        Some(webhooks) => format!(
            "on: Zoom posts meeting and recording lifecycle events to POST {}",
            webhooks.endpoint()
        ),
        None => "off: meetings are not followed live (started, ended, recordings). To turn them \
                 on, set PUBLIC_URL and ZOOM_WEBHOOK_SECRET_TOKEN (README: Zoom webhooks)"
            .to_owned(),
    }
}
