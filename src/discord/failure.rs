//! What went wrong with the gateway, in words an operator can act on: serenity's log lines about
//! failed connections, resumes and close frames turned into a [`Report`], and the failures that
//! no retry can fix turned into a [`Fatal`] that stops the bot.
//!
//! serenity 0.12.5 hands none of these to the event handler: a failed connection is a WARN line
//! from its shard queuer (then a retry 5 s later), a close frame a line from the shard. Its lines
//! are not shown (telemetry caps serenity at ERROR: some carry tokens), so [`super::watch`] reads
//! them and this module keeps only what it recognises — a close code, an HTTP status, an I/O
//! error kind, an error variant's name — never the line itself.

use std::time::Duration;

/// How long serenity waits between two connection attempts (`WAIT_BETWEEN_BOOTS_IN_SECONDS` in
/// its shard queuer); a failed resume is followed by a new connection in at most this.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The intents the bot asks for, by name, for the message when Discord refuses them.
pub const INTENT_NAMES: &str = "GUILDS";

/// The words for a token Discord refused, by REST (401) or gateway (4004).
pub const TOKEN_REJECTED: &str = "DISCORD_TOKEN was rejected by Discord: Developer Portal → Bot → \
                                  Reset Token, then put the new one in .env";

/// Something serenity reported about the gateway connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A new connection failed before the WebSocket was open; serenity tries again.
    ConnectFailed(String),
    /// Resuming a dropped session failed; serenity starts a new one.
    ResumeFailed(String),
    /// The gateway stopped acknowledging heartbeats; serenity reconnects.
    HeartbeatLost,
    /// Discord closed the connection with this code.
    Closed(u16),
}

impl Report {
    /// The failure in words, for the log and `/healthz`.
    pub fn reason(&self) -> String {
        match self {
            Self::ConnectFailed(why) => format!("connecting failed: {why}"),
            Self::ResumeFailed(why) => format!("resuming failed: {why}"),
            Self::HeartbeatLost => "Discord stopped acknowledging heartbeats".to_owned(),
            Self::Closed(code) => format!("closed by Discord with {code} ({})", meaning(*code)),
        }
    }

    /// What serenity does next, in words.
    pub fn next_attempt(&self) -> String {
        let retry = humantime::format_duration(RETRY_AFTER);
        match self {
            Self::ConnectFailed(_) => format!("next attempt in {retry}"),
            Self::ResumeFailed(_) => format!("a new session within {retry}"),
            // serenity resumes at once when it can, else starts a new session in the queue.
            Self::HeartbeatLost | Self::Closed(_) => format!("reconnecting within {retry}"),
        }
    }

    /// The failure no retry can fix, if this is one.
    pub fn fatal(&self) -> Option<Fatal> {
        match self {
            Self::Closed(code) => Fatal::from_close_code(*code),
            _ => None,
        }
    }
}

/// A refusal that retrying cannot fix: the bot stops with exit code 1 and this message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Fatal {
    /// 401 from `GET /users/@me`, or close code 4004.
    #[error("{TOKEN_REJECTED}")]
    TokenRejected,
    /// Close code 4010 or 4011.
    #[error(
        "Discord closed the gateway with {0} ({m}): zoombot runs one shard, which serves up to \
         2,500 servers. Run it for fewer servers.",
        m = meaning(*.0)
    )]
    Sharding(u16),
    /// Close code 4012.
    #[error(
        "Discord closed the gateway with 4012 (invalid API version): this zoombot speaks gateway \
         v10, which Discord no longer accepts. Update zoombot."
    )]
    ApiVersion,
    /// Close code 4013.
    #[error(
        "Discord closed the gateway with 4013 (invalid intents): Discord does not know the \
         intents this zoombot asks for ({INTENT_NAMES}). Update zoombot."
    )]
    InvalidIntents,
    /// Close code 4014.
    #[error(
        "Discord closed the gateway with 4014 (disallowed intents): this application may not \
         use the intents zoombot asks for ({INTENT_NAMES}). Developer Portal → Bot → Privileged \
         Gateway Intents: allow them, or check that DISCORD_TOKEN is the intended application's."
    )]
    DisallowedIntents,
}

impl Fatal {
    /// The fatal failure a close code means, if it means one.
    pub fn from_close_code(code: u16) -> Option<Self> {
        match code {
            4004 => Some(Self::TokenRejected),
            4010 | 4011 => Some(Self::Sharding(code)),
            4012 => Some(Self::ApiVersion),
            4013 => Some(Self::InvalidIntents),
            4014 => Some(Self::DisallowedIntents),
            _ => None,
        }
    }

    /// The fatal failure behind the error `Client::start` returned, if it is one.
    pub fn from_serenity(err: &serenity::Error) -> Option<Self> {
        use serenity::gateway::GatewayError as G;
        match err {
            serenity::Error::Gateway(G::InvalidAuthentication) => Some(Self::TokenRejected),
            serenity::Error::Gateway(G::InvalidGatewayIntents) => Some(Self::InvalidIntents),
            serenity::Error::Gateway(G::DisallowedGatewayIntents) => Some(Self::DisallowedIntents),
            serenity::Error::Gateway(G::InvalidShardData) => Some(Self::Sharding(4010)),
            serenity::Error::Gateway(G::OverloadedShard) => Some(Self::Sharding(4011)),
            _ => None,
        }
    }
}

/// What a gateway close code means (Discord's table of gateway close event codes).
pub fn meaning(code: u16) -> &'static str {
    match code {
        1000 | 1001 => "normal closure; a new session follows",
        1006 => "connection lost without a close frame",
        4000 => "unknown error; resumable",
        4001 => "unknown opcode sent",
        4002 => "payload Discord could not decode",
        4003 => "not authenticated",
        4004 => "authentication failed",
        4005 => "already authenticated",
        4007 => "invalid sequence number; a new session follows",
        4008 => "rate limited",
        4009 => "session timed out; a new session follows",
        4010 => "invalid shard",
        4011 => "sharding required",
        4012 => "invalid API version",
        4013 => "invalid intents",
        4014 => "disallowed intents",
        _ => "not a code Discord documents",
    }
}

// serenity's own words for the close codes it knows (gateway/shard.rs, handle_gateway_closed).
const KNOWN: &[(&str, u16)] = &[
    ("Sent invalid opcode.", 4001),
    ("Sent invalid message.", 4002),
    ("Sent no authentication.", 4003),
    ("Sent invalid authentication", 4004),
    ("Already authenticated.", 4005),
    ("Sent invalid seq", 4007),
    ("Gateway ratelimited.", 4008),
    ("Invalid session.", 4009),
    ("Sent invalid shard data.", 4010),
    ("Shard has too many guilds.", 4011),
    ("Invalid gateway intents have been provided.", 4013),
    ("Disallowed gateway intents have been provided.", 4014),
];

/// The report behind one of serenity's gateway log lines, if it is one this module knows.
pub fn classify(line: &str) -> Option<Report> {
    if let Some((_, why)) = line
        .split_once("Err starting shard")
        .and_then(|(_, rest)| rest.split_once(": "))
    {
        return Some(Report::ConnectFailed(cause(why)));
    }
    if let Some((_, why)) = line
        .split_once("Failed to resume: ")
        .or_else(|| line.split_once("Resume failed, reidentifying: "))
    {
        return Some(Report::ResumeFailed(cause(why)));
    }
    if line.contains("Error heartbeating") {
        return Some(Report::HeartbeatLost);
    }
    if let Some((_, rest)) = line.split_once("Unknown unclean close ") {
        let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return code.parse().ok().map(Report::Closed);
    }
    KNOWN
        .iter()
        .find(|(words, _)| line.contains(words))
        .map(|(_, code)| Report::Closed(*code))
}

/// Why a connection failed, from the `Debug` text of serenity's error: the layer (DNS, TCP, TLS,
/// HTTP, WebSocket) and the kind, without anything else the text carries.
fn cause(debug: &str) -> String {
    let io_kind = field(debug, "kind: ");
    let dns = [
        "failed to lookup address",
        "Name or service not known",
        "name resolution",
    ];
    if dns.iter().any(|d| debug.contains(d)) {
        return "DNS: the gateway's host name did not resolve".to_owned();
    }
    if let Some(status) = field(debug, "Http(Response { status: ") {
        return format!("HTTP: the gateway answered {status} instead of switching to WebSocket");
    }
    let tls = [
        "Tls(",
        "InvalidCertificate",
        "AlertReceived",
        "CorruptMessage",
        "HandshakeFailure",
    ];
    if let Some(marker) = tls.iter().find(|t| debug.contains(*t)) {
        let detail = field(debug, "InvalidCertificate(").map_or_else(
            || marker.trim_end_matches('(').to_owned(),
            |c| format!("invalid certificate ({c})"),
        );
        return format!("TLS: {detail}");
    }
    match io_kind.as_deref() {
        Some("ConnectionRefused") => return "TCP: connection refused".to_owned(),
        Some("TimedOut") => return "TCP: timed out".to_owned(),
        Some("HostUnreachable" | "NetworkUnreachable") => {
            return "TCP: no route to the gateway's host".to_owned();
        }
        Some(kind @ ("ConnectionReset" | "ConnectionAborted" | "UnexpectedEof" | "BrokenPipe")) => {
            return format!("the connection was cut ({kind})");
        }
        _ => {}
    }
    if debug.contains("HandshakeIncomplete") || debug.contains("ConnectionClosed") {
        return "WebSocket: the connection closed during the handshake".to_owned();
    }
    if debug.contains("ExpectedHello") {
        return "WebSocket: no HELLO from the gateway".to_owned();
    }
    if debug.contains("BuildingUrl") || debug.contains("Url(") {
        return "the gateway URL Discord gave is not usable".to_owned();
    }
    // The error's variant names only (`Tungstenite(Protocol(…))`): they name the failure without
    // whatever values the error holds.
    let names: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '(')
        .collect();
    names.trim_end_matches('(').to_owned()
}

/// The word (letters, digits, `_`) after `key` in `text`.
fn field(text: &str, key: &str) -> Option<String> {
    let (_, rest) = text.split_once(key)?;
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line serenity's shard queuer logs when nothing listens on the gateway's port.
    fn refused() -> String {
        let err = serenity::Error::Tungstenite(tokio_tungstenite::tungstenite::Error::Io(
            std::io::Error::from_raw_os_error(111),
        ));
        format!("[Shard Queuer] Err starting shard 0: {err:?}")
    }

    #[test]
    fn a_refused_connection_is_named_tcp() {
        assert_eq!(
            classify(&refused()),
            Some(Report::ConnectFailed("TCP: connection refused".to_owned()))
        );
    }

    #[test]
    fn close_codes_are_read_from_serenity_words() {
        let line =
            "[ShardInfo { id: ShardId(0), total: 1 }] Unknown unclean close 4012: Some(\"x\")";
        assert_eq!(classify(line), Some(Report::Closed(4012)));
        let line = "[ShardInfo { id: ShardId(0), total: 1 }] Disallowed gateway intents have been provided.";
        assert_eq!(classify(line), Some(Report::Closed(4014)));
        assert_eq!(Report::Closed(4014).fatal(), Some(Fatal::DisallowedIntents));
        assert_eq!(Report::Closed(4000).fatal(), None);
    }

    #[test]
    fn an_http_status_and_a_dns_failure_are_named() {
        let http = "Err starting shard 0: Tungstenite(Http(Response { status: 503, version: HTTP/1.1, headers: {\"authorization\": \"secret\"} }))";
        let Some(Report::ConnectFailed(why)) = classify(http) else {
            panic!("not classified");
        };
        assert!(why.contains("503") && !why.contains("secret"), "{why}");
        let dns = "Err starting shard 0: Tungstenite(Io(Custom { kind: Uncategorized, error: \"failed to lookup address information: Name or service not known\" }))";
        let Some(Report::ConnectFailed(why)) = classify(dns) else {
            panic!("not classified");
        };
        assert!(why.starts_with("DNS"), "{why}");
    }

    #[test]
    fn an_unknown_error_keeps_its_variant_names_only() {
        let line = "Err starting shard 0: Tungstenite(Protocol(SecWebSocketAcceptKeyMismatch { token: \"t\" }))";
        assert_eq!(
            classify(line),
            Some(Report::ConnectFailed(
                "Tungstenite(Protocol(SecWebSocketAcceptKeyMismatch".to_owned()
            ))
        );
    }

    #[test]
    fn the_intent_names_are_the_intents_asked_for() {
        let names: Vec<&str> = super::super::INTENTS.iter_names().map(|(n, _)| n).collect();
        assert_eq!(names.join(", "), INTENT_NAMES);
    }

    #[test]
    fn lines_it_does_not_know_are_not_reports() {
        assert_eq!(
            classify("Err deserializing text: x; text: {\"token\":\"t\"}"),
            None
        );
    }
}
