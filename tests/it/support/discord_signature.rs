//! Discord's side of an Interactions Endpoint URL: a fixed Ed25519 key pair, and requests signed
//! as Discord signs them (hex Ed25519 over `X-Signature-Timestamp` + the raw body), posted to the
//! bot over loopback. (Shared with the examples, so nothing here knows the in-process bot.)

use std::net::SocketAddr;

use ed25519_dalek::{Signer, SigningKey};

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
