//! Discord's side of an Interactions Endpoint URL: a fixed Ed25519 key pair, requests signed as
//! Discord signs them (hex Ed25519 over `X-Signature-Timestamp` + the raw body), posted to the
//! bot over loopback, and the in-process bot started with `DISCORD_MODE=http`.

use std::net::SocketAddr;

use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;
use zoombot::config::{BotConfig, DiscordMode, PublicKey};

use super::bot::TestBot;
use super::fake_discord::{self, Member};

/// The application's secret key: fixed bytes, so every run signs alike.
const SEED: [u8; 32] = [42; 32];

/// The path Discord posts to.
pub const PATH: &str = "/discord/interactions";

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&SEED)
}

/// The application's public key in hex, as the Developer Portal shows it.
pub fn public_key_hex() -> String {
    hex::encode(signing_key().verifying_key().to_bytes())
}

/// The current time as Discord writes it in `X-Signature-Timestamp` (Unix seconds).
pub fn now() -> String {
    jiff::Timestamp::now().as_second().to_string()
}

/// The signature Discord sends for `body` at `timestamp`, in hex.
pub fn sign(timestamp: &str, body: &[u8]) -> String {
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    hex::encode(signing_key().sign(&message).to_bytes())
}

/// Posts `body` with exactly `headers` (plus a JSON content type) to the bot at `addr`: status
/// and body text.
pub async fn post(addr: SocketAddr, body: Vec<u8>, headers: &[(&str, String)]) -> (u16, String) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let mut request = client
        .post(format!("http://{addr}{PATH}"))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("the bot's HTTP server answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// Posts `body` signed as Discord signs it, now.
pub async fn post_signed(addr: SocketAddr, body: &[u8]) -> (u16, String) {
    let timestamp = now();
    let signature = sign(&timestamp, body);
    post(
        addr,
        body.to_vec(),
        &[
            ("x-signature-ed25519", signature),
            ("x-signature-timestamp", timestamp),
        ],
    )
    .await
}

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
