//! Configuration from the environment (and `.env`, loaded by `main`). Every problem is reported
//! at once, each with where to find the right value.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::meetings::Limits;
use crate::scheduling::parse_cooldown;
use crate::secret::Secret;
use crate::telemetry::LogFormat;

mod accounts;
mod database;
mod discord_mode;
mod webhooks;
mod zoom;

pub use accounts::{AccountsConfig, accounts_status};
pub use database::{DatabaseConfig, database_status};
pub use discord_mode::{DiscordMode, PublicKey};
use webhooks::public_url;
pub use webhooks::{WebhookConfig, webhook_status};
pub use zoom::ZoomConfig;

/// The idle connections the bot keeps to each of Discord and Zoom. A burst of commands opens a
/// connection per request in flight (hundreds); kept idle, each holds its buffers (about 25 KB)
/// while the burst waits on the other service. A steady load reuses far fewer.
pub const IDLE_CONNECTIONS_PER_HOST: usize = 16;

/// Where the HTTP server listens unless `HTTP_ADDR` says otherwise: this machine only. The image
/// sets `0.0.0.0:8080`, since a container's published port arrives from outside it.
pub const DEFAULT_HTTP_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// Settings of the Discord client.
#[derive(Debug, Clone)]
pub struct DiscordConfig {
    /// `DISCORD_TOKEN`: the bot token.
    pub token: Secret,
    /// `DISCORD_GUILD_ID`: a server whose commands are also registered directly (they appear at
    /// once there, while global commands can take a while).
    pub guild_id: Option<u64>,
    /// `DISCORD_API_BASE`: a Discord REST proxy standing in for `https://discord.com`.
    pub api_base: Option<String>,
    /// `DISCORD_MODE` (and `DISCORD_PUBLIC_KEY`): how interactions arrive.
    pub mode: DiscordMode,
}

/// Everything the bot needs.
#[derive(Debug, Clone)]
pub struct BotConfig {
    /// Discord.
    pub discord: DiscordConfig,
    /// Zoom.
    pub zoom: ZoomConfig,
    /// `DATA_DIR`: where the store keeps its files.
    pub data_dir: PathBuf,
    /// `HTTP_ADDR`: where `/healthz` and `/metrics` are served.
    pub http_addr: SocketAddr,
    /// `LOG_FORMAT`: `pretty` for people, `json` for machines.
    pub log_format: LogFormat,
    /// `MEETINGS_PER_SERVER_PER_DAY`, `MEETINGS_PER_MEMBER`, `ZOOM_HOST_DAILY_LIMIT`: the
    /// operator's limits.
    pub limits: Limits,
    /// `PUBLIC_URL` and `ZOOM_WEBHOOK_SECRET_TOKEN`: Zoom's webhooks, when both are set.
    pub webhooks: Option<WebhookConfig>,
    /// `ZOOM_USER_CLIENT_ID`, `ZOOM_USER_CLIENT_SECRET` and `PUBLIC_URL`: members' own Zoom
    /// accounts, when set.
    pub accounts: Option<AccountsConfig>,
    /// `DATABASE_URL` and `DATABASE_MAX_CONNECTIONS`: PostgreSQL as the store, when set.
    pub database: Option<DatabaseConfig>,
}

impl BotConfig {
    /// Reads the bot's settings from the process environment, reporting every problem at once.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|key| std::env::var(key).ok())
    }

    /// Reads the bot's settings through `lookup`.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut env = Env::new(lookup);
        let discord = DiscordConfig {
            token: Secret::new(env.required(
                "DISCORD_TOKEN",
                "the bot token from the Discord Developer Portal → your application → Bot → Reset Token",
            )),
            guild_id: env.snowflake("DISCORD_GUILD_ID"),
            api_base: env.get("DISCORD_API_BASE").map(|_| env.url("DISCORD_API_BASE", "https://discord.com")),
            mode: env.discord_mode(),
        };
        let zoom = ZoomConfig::read(&mut env);
        let data_dir = env
            .get("DATA_DIR")
            .map_or_else(|| PathBuf::from("./data"), PathBuf::from);
        let http_addr = env.http_addr();
        let log_format = env.log_format();
        let limits = env.limits();
        let webhooks = WebhookConfig::read(&mut env);
        let accounts = AccountsConfig::read(&mut env, &zoom.oauth_url);
        let database = DatabaseConfig::read(&mut env);
        env.finish().map(|()| Self {
            discord,
            zoom,
            data_dir,
            http_addr,
            log_format,
            limits,
            webhooks,
            accounts,
            database,
        })
    }
}

/// `LOG_FORMAT` alone: `main` needs it before the subscriber starts, so before the rest is read.
pub fn log_format_from_env() -> Result<LogFormat, ConfigError> {
    let mut env = Env::new(&|key| std::env::var(key).ok());
    let format = env.log_format();
    env.finish().map(|()| format)
}

/// `HTTP_ADDR` alone, for `zoombot healthcheck`.
pub fn http_addr_from_env() -> Result<SocketAddr, ConfigError> {
    let mut env = Env::new(&|key| std::env::var(key).ok());
    let addr = env.http_addr();
    env.finish().map(|()| addr)
}

/// Everything that is wrong with the configuration, one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// One entry per problem, each saying what to do.
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "the configuration has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        write!(
            f,
            "Set these in the environment or in a .env file (see .env.example)."
        )
    }
}

impl std::error::Error for ConfigError {}

/// A reader of environment variables that collects every problem instead of stopping at the first.
pub(crate) struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl<'a> Env<'a> {
    pub(crate) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            problems: Vec::new(),
        }
    }

    /// The trimmed value; an empty value counts as unset.
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        (self.lookup)(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn problem(&mut self, text: String) {
        self.problems.push(text);
    }

    pub(crate) fn required(&mut self, key: &str, hint: &str) -> String {
        self.get(key).unwrap_or_else(|| {
            self.problem(format!("{key} is not set: it is {hint}."));
            String::new()
        })
    }

    /// An http(s) URL without its trailing slash.
    pub(crate) fn url(&mut self, key: &str, default: &str) -> String {
        let Some(value) = self.get(key) else {
            return default.to_owned();
        };
        match reqwest::Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                value.trim_end_matches('/').to_owned()
            }
            _ => {
                self.problem(format!(
                    "{key} is not an http(s) URL: {value:?}. Leave it unset for {default}."
                ));
                default.to_owned()
            }
        }
    }

    /// A Discord id (snowflake), if set.
    pub(crate) fn snowflake(&mut self, key: &str) -> Option<u64> {
        let value = self.get(key)?;
        match value.parse::<u64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                self.problem(format!(
                    "{key} is not a Discord id: {value:?}. Turn on Developer Mode in Discord, \
                     right-click the server and choose Copy Server ID, or leave it unset."
                ));
                None
            }
        }
    }

    /// A humantime duration such as `5s` or `1m 30s`.
    pub(crate) fn duration(&mut self, key: &str, default: Duration) -> Duration {
        let Some(value) = self.get(key) else {
            return default;
        };
        match humantime::parse_duration(&value) {
            Ok(d) if !d.is_zero() => d,
            _ => {
                self.problem(format!(
                    "{key} is not a positive duration: {value:?}. Write it like \"5s\" or \"1m 30s\" \
                     (default {}).",
                    humantime::format_duration(default)
                ));
                default
            }
        }
    }

    /// `HTTP_ADDR`: an IP address and port.
    pub(crate) fn http_addr(&mut self) -> SocketAddr {
        let Some(value) = self.get("HTTP_ADDR") else {
            return DEFAULT_HTTP_ADDR;
        };
        value.parse().unwrap_or_else(|_| {
            self.problem(format!(
                "HTTP_ADDR is not an IP address and port: {value:?}. Write it like \"0.0.0.0:8080\" \
                 (all interfaces) or \"127.0.0.1:9000\" (this machine only); default {DEFAULT_HTTP_ADDR}."
            ));
            DEFAULT_HTTP_ADDR
        })
    }

    /// The operator's limits on creating meetings, each defaulting to [`Limits::DEFAULT`]'s.
    pub(crate) fn limits(&mut self) -> Limits {
        let mut limits = Limits::DEFAULT;
        if let Some(value) = self.get("MEETINGS_PER_SERVER_PER_DAY") {
            match value.parse::<u32>() {
                Ok(n) if n > 0 => limits.per_server_per_day = n,
                _ => self.problem(format!(
                    "MEETINGS_PER_SERVER_PER_DAY is not a positive whole number: {value:?}. It is how many \
                     meetings one server may create per UTC day (default {}).",
                    Limits::DEFAULT.per_server_per_day
                )),
            }
        }
        if let Some(value) = self.get("ZOOM_HOST_DAILY_LIMIT") {
            match value.parse::<u32>() {
                Ok(n) if n > 0 => limits.per_host_per_day = n,
                _ => self.problem(format!(
                    "ZOOM_HOST_DAILY_LIMIT is not a positive whole number: {value:?}. It is how many meetings \
                     one Zoom host user may create per UTC day: Zoom allows {}; raise it only for a test Zoom.",
                    Limits::DEFAULT.per_host_per_day
                )),
            }
        }
        if let Some(value) = self.get("MEETINGS_PER_MEMBER") {
            match parse_cooldown(&value) {
                Ok(rule) => limits.per_member = rule,
                Err(err) => self.problem(format!(
                    "MEETINGS_PER_MEMBER: {err} It limits one member across every server (default {}/{}m).",
                    Limits::DEFAULT.per_member.count,
                    Limits::DEFAULT.per_member.window_minutes
                )),
            }
        }
        limits
    }

    /// `LOG_FORMAT`: `pretty` (default) or `json`.
    pub(crate) fn log_format(&mut self) -> LogFormat {
        let Some(value) = self.get("LOG_FORMAT") else {
            return LogFormat::Pretty;
        };
        match value.to_ascii_lowercase().as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            _ => {
                self.problem(format!(
                    "LOG_FORMAT is {value:?}: it is \"pretty\" (readable, the default) or \"json\" \
                     (one JSON object per line, for log collectors)."
                ));
                LogFormat::Pretty
            }
        }
    }

    pub(crate) fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }
}

#[cfg(test)]
mod tests;
