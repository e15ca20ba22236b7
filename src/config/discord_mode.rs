//! `DISCORD_MODE` and `DISCORD_PUBLIC_KEY`: whether interactions arrive over the gateway (the
//! default) or as signed HTTP requests to `POST /discord/interactions`, which need the
//! application's public key to check their signatures.

use std::fmt;

use serenity::interactions_endpoint::Verifier;

use super::Env;

/// Where the public key is in the Developer Portal.
const KEY_HINT: &str = "the Public Key on the Discord Developer Portal → your application → \
     General Information (64 hexadecimal digits)";

/// How Discord delivers interactions to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscordMode {
    /// Over a gateway connection the bot keeps open (`DISCORD_MODE=gateway`, the default).
    Gateway,
    /// As signed HTTP requests to the Interactions Endpoint URL; no gateway connection.
    Http {
        /// `DISCORD_PUBLIC_KEY`: what Discord's signatures are checked with.
        public_key: PublicKey,
    },
}

impl DiscordMode {
    /// The value of `DISCORD_MODE` that selects this mode.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Gateway => "gateway",
            Self::Http { .. } => "http",
        }
    }
}

/// An application's Ed25519 public key, checked to be one, with its verifier. Public, so
/// printed in full.
#[derive(Clone)]
pub struct PublicKey {
    bytes: [u8; 32],
    // Boxed: the verifier is large (a decompressed curve point), the mode's other case empty.
    verifier: Box<Verifier>,
}

impl PublicKey {
    /// The key's 32 bytes.
    pub fn bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// What checks Discord's signatures with this key.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The key from its hex form, if it is 32 bytes that make an Ed25519 public key (so a key
    /// that is not a curve point is a configuration error at start, not a 401 for every
    /// interaction).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(hex).ok()?.try_into().ok()?;
        let verifier = Verifier::try_new(bytes).ok()?;
        Some(Self {
            bytes,
            verifier: Box::new(verifier),
        })
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.bytes))
    }
}

impl Env<'_> {
    /// `DISCORD_MODE`, with `DISCORD_PUBLIC_KEY` when it is `http`. The key is read only then: in
    /// gateway mode nothing checks signatures, so a key left set does no harm.
    pub(crate) fn discord_mode(&mut self) -> DiscordMode {
        let mode = self.get("DISCORD_MODE");
        match mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("gateway") => DiscordMode::Gateway,
            Some("http") => {
                let Some(value) = self.get("DISCORD_PUBLIC_KEY") else {
                    self.problem(format!(
                        "DISCORD_PUBLIC_KEY is not set: DISCORD_MODE=http needs it to check that \
                         interactions come from Discord. It is {KEY_HINT}."
                    ));
                    return DiscordMode::Gateway;
                };
                if let Some(public_key) = PublicKey::from_hex(&value) {
                    DiscordMode::Http { public_key }
                } else {
                    self.problem(format!(
                        "DISCORD_PUBLIC_KEY is not an Ed25519 public key in hex: {value:?}. It is \
                         {KEY_HINT}."
                    ));
                    DiscordMode::Gateway
                }
            }
            Some(_) => {
                let value = mode.unwrap_or_default();
                self.problem(format!(
                    "DISCORD_MODE is {value:?}: it is \"gateway\" (the default: the bot connects \
                     to Discord) or \"http\" (Discord posts interactions to \
                     /discord/interactions on HTTP_ADDR, which must be reachable from the \
                     internet over https)."
                ));
                DiscordMode::Gateway
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_from(vars: &[(&str, &str)]) -> (DiscordMode, Vec<String>) {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = move |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let mut env = Env::new(&lookup);
        let mode = env.discord_mode();
        (
            mode,
            env.finish().err().map(|e| e.problems).unwrap_or_default(),
        )
    }

    /// A real public key in hex (of the secret key of 32 bytes of 7).
    fn key() -> String {
        let secret = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        hex::encode(secret.verifying_key().to_bytes())
    }

    #[test]
    fn the_gateway_is_the_default_and_needs_no_key() {
        assert_eq!(mode_from(&[]), (DiscordMode::Gateway, vec![]));
        let (mode, problems) = mode_from(&[("DISCORD_MODE", "Gateway")]);
        assert_eq!((mode, problems.len()), (DiscordMode::Gateway, 0));
    }

    #[test]
    fn http_mode_reads_the_public_key() {
        let key = key();
        let (mode, problems) = mode_from(&[("DISCORD_MODE", "http"), ("DISCORD_PUBLIC_KEY", &key)]);
        assert!(problems.is_empty(), "{problems:?}");
        let DiscordMode::Http { public_key } = mode else {
            panic!("not http mode: {mode:?}");
        };
        assert_eq!(hex::encode(public_key.bytes()), key);
    }

    #[test]
    fn http_mode_without_a_key_says_where_to_find_it() {
        let (_, problems) = mode_from(&[("DISCORD_MODE", "http")]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("DISCORD_PUBLIC_KEY is not set"));
        assert!(problems[0].contains("General Information"));
    }

    #[test]
    fn a_key_of_the_wrong_length_or_not_hex_is_refused() {
        let key = key();
        for bad in [&key[..62], "zz", &format!("{}zz", &key[..62])] {
            let (_, problems) = mode_from(&[("DISCORD_MODE", "http"), ("DISCORD_PUBLIC_KEY", bad)]);
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert!(
                problems[0].contains("not an Ed25519 public key"),
                "{problems:?}"
            );
        }
    }

    #[test]
    fn an_unknown_mode_names_both_modes() {
        let (_, problems) = mode_from(&[("DISCORD_MODE", "webhook")]);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("\"gateway\"") && problems[0].contains("\"http\""));
    }

    #[test]
    fn a_missing_key_is_reported_with_every_other_problem() {
        let lookup = |key: &str| (key == "DISCORD_MODE").then(|| "http".to_owned());
        let err = crate::config::BotConfig::from_lookup(&lookup).unwrap_err();
        let text = err.to_string();
        for key in ["DISCORD_TOKEN", "DISCORD_PUBLIC_KEY", "ZOOM_ACCOUNT_ID"] {
            assert!(text.contains(key), "{key} missing from: {text}");
        }
    }
}
