//! The in-process bot started with `DISCORD_MODE=http`, and interactions delivered to it as
//! Discord delivers them to an Interactions Endpoint URL (signed by [`super::discord_signature`]).

use serde_json::Value;
use zoombot::config::{BotConfig, DiscordMode, PublicKey};

use super::bot::TestBot;
pub use super::discord_signature::{PATH, now, post, post_signed, public_key_hex, sign};
use super::fake_discord::{self, Member};

/// Turns `config` to `DISCORD_MODE=http` with the test key.
pub fn http_mode(config: &mut BotConfig) {
    let public_key = PublicKey::from_hex(&public_key_hex()).expect("a valid key");
    config.discord.mode = DiscordMode::Http { public_key };
}

impl TestBot {
    /// The bot in `DISCORD_MODE=http` with the test key, started as [`TestBot::start`] starts
    /// one (it has registered its commands when this returns).
    pub async fn start_http() -> Self {
        Self::start_with(http_mode, None).await
    }

    /// Delivers `payload` as Discord delivers to an Interactions Endpoint URL: the fake
    /// registers it, it is signed and posted, and a 200's body becomes its first response at the
    /// fake. The bot's status and body (JSON, or the text as a JSON string).
    pub async fn deliver(&self, payload: Value) -> (u16, Value) {
        let payload = self.discord.prepare_http_interaction(payload);
        let body = payload.to_string().into_bytes();
        let (status, text) = post_signed(self.http_addr, &body).await;
        let response = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status == 200 {
            let id = payload["id"].as_str().unwrap_or_default();
            let taken = self.discord.take_http_response(id, &response);
            assert_eq!(taken, 204, "Discord refused the response {response}");
        }
        (status, response)
    }

    /// A slash command in the fake's server as `member`, over HTTP: its token, and the bot's
    /// status and body.
    pub async fn slash_over_http(
        &self,
        member: &Member,
        name: &str,
        options: Value,
    ) -> (String, u16, Value) {
        let (id, token) = self.next();
        let payload = fake_discord::slash_command_here(id, &token, member, name, options);
        let (status, response) = self.deliver(payload).await;
        (token, status, response)
    }
}
