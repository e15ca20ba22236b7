//! Checks made at start, before the gateway connects (or the interactions endpoint opens): is
//! `DISCORD_TOKEN` accepted, and can the bot get a Zoom token. Each says what it found in one log line an operator can act on.

use std::sync::Arc;

use serenity::all::{ApplicationId, Http};

use super::failure::Fatal;
use crate::zoom::ZoomClient;

/// Asks Discord who the token belongs to (`GET /users/@me`). A 401 is [`Fatal::TokenRejected`]:
/// no retry fixes a wrong token, and the gateway would only refuse it again (4004) after a
/// connection. Any other failure is logged and the bot goes on: Discord may be briefly
/// unreachable, and the gateway's own attempts will say more (and succeed when it is back).
pub async fn check_discord(http: &Http) -> Result<(), Fatal> {
    let user = match http.get_current_user().await {
        Ok(user) => user,
        Err(serenity::Error::Http(err)) if err.status_code().is_some_and(|s| s.as_u16() == 401) => {
            return Err(Fatal::TokenRejected);
        }
        Err(err) => {
            tracing::warn!(
                error = %err,
                "could not check DISCORD_TOKEN with Discord (GET /users/@me); connecting anyway"
            );
            return Ok(());
        }
    };
    // The application's id is what the Developer Portal shows; for bots made since 2021 it is the
    // bot user's id, which stands in when the application cannot be read.
    let application = match http.get_current_application_info().await {
        Ok(app) => app.id,
        Err(_) => ApplicationId::new(user.id.get()),
    };
    // Registering commands needs it: over the gateway READY would set it, but with
    // `DISCORD_MODE=http` no READY comes.
    http.set_application_id(application);
    tracing::info!(
        application = %application,
        bot = %user.name,
        bot_user = %user.id,
        "Discord accepted DISCORD_TOKEN"
    );
    Ok(())
}

/// Fetches a Zoom token, which also warms the token cache for the first `/meet`. A failure is
/// logged at ERROR with the words `zoombot doctor` prints for it, and the bot keeps running:
/// members then get the same clear refusal on `/meet` (rather than a bot that is gone from
/// Discord), the commands that need no Zoom (settings, time zones) keep working, and a restart
/// loop would fix neither a wrong credential nor a Zoom outage — the next `/meet` tries again.
pub async fn check_zoom(zoom: Arc<ZoomClient>) {
    match zoom.tokens().token().await {
        Ok(token) => tracing::info!(
            valid_for = %humantime::format_duration(token.lifetime),
            "Zoom issued a token"
        ),
        Err(err) => tracing::error!(
            error = %err,
            "Zoom refused a token: /meet will fail until this is fixed (run `zoombot doctor`)"
        ),
    }
}
