//! `zoombot doctor`'s Discord checks: is `DISCORD_TOKEN` accepted, which servers is the bot in, and
//! does it hold there the permissions it needs. Each problem names what to do; the token itself is
//! never printed.

use std::future::Future;
use std::time::Duration;

use serenity::all::{GuildInfo, Http};
use serenity::http::GuildPagination;

use crate::config::{DiscordConfig, Env};
use crate::discord::client;
use crate::secret::Secret;

/// View Channels.
const VIEW_CHANNEL: u64 = 1 << 10;
/// Send Messages.
const SEND_MESSAGES: u64 = 1 << 11;
/// Embed Links.
const EMBED_LINKS: u64 = 1 << 14;
/// Create Events: what creating a scheduled event needs since Feb 2026.
const CREATE_EVENTS: u64 = 1 << 44;
/// Administrator: every permission, whatever the other bits say.
const ADMINISTRATOR: u64 = 1 << 3;

/// The permissions zoombot needs in every server, and the `permissions=` of its invite link:
/// View Channels and Send Messages (the public meeting message), Embed Links (it is an embed) and
/// Create Events (the meeting's Discord event). The README's invite link carries this number.
pub const REQUIRED_PERMISSIONS: u64 = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | CREATE_EVENTS;

/// Each required permission with the name Discord's server settings show.
const NAMED_PERMISSIONS: [(u64, &str); 4] = [
    (VIEW_CHANNEL, "View Channels"),
    (SEND_MESSAGES, "Send Messages"),
    (EMBED_LINKS, "Embed Links"),
    (CREATE_EVENTS, "Create Events"),
];

/// Where a new bot token comes from.
const TOKEN_HINT: &str =
    "the bot token from the Discord Developer Portal → your application → Bot → Reset Token";

/// How long one call to Discord may take: doctor answers rather than hangs on a dead network.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// The names of the required permissions `granted` lacks (none with Administrator).
#[must_use]
pub fn missing_permissions(granted: u64) -> Vec<&'static str> {
    if granted & ADMINISTRATOR != 0 {
        return vec![];
    }
    NAMED_PERMISSIONS
        .iter()
        .filter(|(bit, _)| granted & bit == 0)
        .map(|(_, name)| *name)
        .collect()
}

/// The link that adds the bot to a server (or, for a server it is in, grants the missing
/// permissions to its role) with [`REQUIRED_PERMISSIONS`].
#[must_use]
pub fn invite_url(application_id: u64) -> String {
    format!(
        "https://discord.com/oauth2/authorize?client_id={application_id}&scope=bot+applications.commands&permissions={REQUIRED_PERMISSIONS}"
    )
}

/// Prints one verdict line, as the Zoom checks do; returns `ok`.
pub(super) fn verdict(ok: bool, what: &str, detail: &str) -> bool {
    println!("{}  {what}: {detail}", if ok { "ok  " } else { "FAIL" });
    ok
}

/// `DISCORD_TOKEN` and `DISCORD_API_BASE` alone, read and checked as the bot reads them.
fn discord_config() -> Result<DiscordConfig, Vec<String>> {
    let lookup = |key: &str| std::env::var(key).ok();
    let mut env = Env::new(&lookup);
    let token = env.required("DISCORD_TOKEN", TOKEN_HINT);
    let api_base = env
        .get("DISCORD_API_BASE")
        .map(|_| env.url("DISCORD_API_BASE", "https://discord.com"));
    env.finish().map_err(|e| e.problems)?;
    Ok(DiscordConfig {
        token: Secret::new(token),
        guild_id: None,
        api_base,
        // The checks are the same whichever way interactions arrive.
        mode: crate::config::DiscordMode::Gateway,
    })
}

/// A call to Discord, bounded by [`CALL_TIMEOUT`]; the error as text.
async fn bounded<T>(call: impl Future<Output = serenity::Result<T>>) -> Result<T, CallError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Err(_) => Err(CallError::Other(format!(
            "no answer within {}s",
            CALL_TIMEOUT.as_secs()
        ))),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(serenity::Error::Http(err)))
            if err.status_code().is_some_and(|s| s.as_u16() == 401) =>
        {
            Err(CallError::Unauthorized)
        }
        Ok(Err(err)) => Err(CallError::Other(err.to_string())),
    }
}

enum CallError {
    Unauthorized,
    Other(String),
}

impl CallError {
    fn explain(&self) -> String {
        match self {
            Self::Unauthorized => format!(
                "Discord rejects DISCORD_TOKEN (401 Unauthorized): it is wrong or was reset. \
                 Put in {TOKEN_HINT}"
            ),
            Self::Other(err) => format!("could not ask Discord: {err}"),
        }
    }
}

/// Every server the bot is in, page by page (Discord gives at most 200 at a time).
async fn all_guilds(http: &Http) -> Result<Vec<GuildInfo>, CallError> {
    const PAGE: u64 = 200;
    let mut guilds: Vec<GuildInfo> = vec![];
    loop {
        let after = guilds.last().map(|g| GuildPagination::After(g.id));
        let page = bounded(http.get_guilds(after, Some(PAGE))).await?;
        let full = page.len() as u64 == PAGE;
        guilds.extend(page);
        if !full {
            return Ok(guilds);
        }
    }
}

fn describe(guild: &GuildInfo) -> String {
    format!("{} ({})", guild.name, guild.id)
}

/// Runs the Discord checks, printing a verdict for each; true when every one passed.
pub async fn check_discord() -> bool {
    let config = match discord_config() {
        Ok(config) => config,
        Err(problems) => return verdict(false, "discord configuration", &problems.join(" ")),
    };
    let http = client::http(&config);
    let user = match bounded(http.get_current_user()).await {
        Ok(user) => user,
        Err(err) => return verdict(false, "discord token", &err.explain()),
    };
    verdict(
        true,
        "discord token",
        &format!("accepted: the bot is {} (id {})", user.name, user.id),
    );
    // For bots made since 2021 the application's id is the bot user's: it stands in when the
    // application cannot be read, so the invite link is still right.
    let application = match bounded(http.get_current_application_info()).await {
        Ok(app) => app.id.get(),
        Err(_) => user.id.get(),
    };
    let guilds = match all_guilds(&http).await {
        Ok(guilds) => guilds,
        Err(err) => return verdict(false, "discord servers", &err.explain()),
    };
    if guilds.is_empty() {
        verdict(
            false,
            "discord servers",
            &format!(
                "the bot is in no server yet: invite it with {}",
                invite_url(application)
            ),
        );
        return false;
    }
    let names: Vec<String> = guilds.iter().map(describe).collect();
    verdict(
        true,
        "discord servers",
        &format!("in {}: {}", guilds.len(), names.join(", ")),
    );
    let mut all_granted = true;
    for guild in &guilds {
        let missing = missing_permissions(guild.permissions.bits());
        all_granted &= verdict(
            missing.is_empty(),
            "discord permissions",
            &permissions_detail(&describe(guild), &missing),
        );
    }
    if !all_granted {
        println!(
            "      open this link to grant them (or give them to the bot's role in Server \
             Settings → Roles): {}",
            invite_url(application)
        );
    }
    all_granted
}

fn permissions_detail(guild: &str, missing: &[&str]) -> String {
    if missing.is_empty() {
        format!("{guild} has everything the bot needs")
    } else {
        format!("{guild} lacks {}", missing.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrator_implies_every_permission_and_each_missing_one_is_named() {
        assert!(missing_permissions(ADMINISTRATOR).is_empty());
        assert!(missing_permissions(REQUIRED_PERMISSIONS).is_empty());
        assert_eq!(
            missing_permissions(VIEW_CHANNEL | SEND_MESSAGES),
            ["Embed Links", "Create Events"]
        );
        assert_eq!(missing_permissions(0).len(), 4);
    }

    #[test]
    fn the_invite_link_asks_for_exactly_the_required_permissions() {
        let url = invite_url(42);
        assert!(url.starts_with("https://discord.com/oauth2/authorize?client_id=42&"));
        assert!(url.ends_with("&permissions=17592186063872"), "{url}");
        assert_eq!(REQUIRED_PERMISSIONS, 17_592_186_063_872);
    }
}
