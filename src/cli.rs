//! The command line: `zoombot` runs the bot; `doctor` checks the setup; `meet` manages meetings;
//! `healthcheck` asks a running bot's `/healthz` (for container health checks).

pub mod accounts;
pub mod database;
pub mod doctor;
pub mod webhook;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::{ZoomConfig, http_addr_from_env};
use crate::meetings::create_without_server;
use crate::scheduling::plan::MeetInput;
use crate::zoom::auth::REQUIRED_SCOPES;
use crate::zoom::{ZoomClient, ZoomError};

/// Schedule Zoom meetings from Discord slash commands.
#[derive(Debug, Parser)]
#[command(name = "zoombot", version, about)]
pub struct Cli {
    /// What to do; without one, zoombot runs the bot.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration, the Zoom app (credentials, host user, scopes) and the Discord bot
    /// (token, servers, permissions in each).
    Doctor,
    /// Create, list and delete Zoom meetings from the command line.
    Meet {
        /// The meeting action.
        #[command(subcommand)]
        action: MeetAction,
    },
    /// Ask the bot running on this machine whether it is healthy (GET /healthz on its HTTP
    /// port); exit code 0 if so, 1 if not. For container health checks.
    Healthcheck,
    /// Bring the PostgreSQL schema (`DATABASE_URL`) up to date and exit: a deploy step before
    /// new replicas start (each replica also does it at start). Exit code 2 without
    /// `DATABASE_URL`.
    Migrate,
    /// Zoom's webhooks.
    Webhook {
        /// The webhook action.
        #[command(subcommand)]
        action: WebhookAction,
    },
}

/// `zoombot webhook …`.
#[derive(Debug, Subcommand)]
pub enum WebhookAction {
    /// Sign a sample meeting.started event with the Secret Token and post it to the bot's
    /// endpoint, as Zoom would; exit code 0 when it answers 200, 2 without webhook settings.
    Test {
        /// The meeting id the event is about.
        #[arg(long, default_value_t = webhook::SAMPLE_MEETING)]
        meeting: i64,
        /// Where to post it; by default /zoom/webhook of the bot on this machine's HTTP port.
        #[arg(long)]
        url: Option<String>,
    },
}

/// `zoombot meet …`.
#[derive(Debug, Subcommand)]
pub enum MeetAction {
    /// Create a meeting and print its join link.
    Create {
        /// The topic (at most 200 characters).
        #[arg(long)]
        topic: String,
        /// How long, like 45m or 1h30m.
        #[arg(long, default_value = "30m")]
        duration: String,
        /// When, as /meet reads it: "now", "in 2h", "tomorrow 3pm", "24 dec 18:00 Europe/London".
        #[arg(long, default_value = "now")]
        start: String,
        /// The IANA time zone `--start` is read in and the meeting is shown in.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// An agenda (at most 2000 characters).
        #[arg(long)]
        agenda: Option<String>,
        /// A passcode (at most 10 characters); Zoom generates one when absent.
        #[arg(long)]
        passcode: Option<String>,
        /// Also print the host's start link (a credential: keep it private).
        #[arg(long)]
        show_start_url: bool,
    },
    /// List the host user's upcoming meetings.
    List,
    /// Delete a meeting.
    Delete {
        /// The meeting id.
        id: i64,
    },
}

/// How long `healthcheck` waits for an answer (the store check alone may take 2 s).
const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(4);

/// Runs a CLI subcommand to completion.
pub async fn run(command: Command) -> ExitCode {
    match command {
        Command::Healthcheck => return healthcheck().await,
        Command::Migrate => return database::migrate().await,
        Command::Webhook {
            action: WebhookAction::Test { meeting, url },
        } => return webhook::test(meeting, url).await,
        _ => {}
    }
    let zoom = match ZoomConfig::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            if matches!(command, Command::Doctor) {
                println!("FAIL  configuration");
                // Discord's and the webhooks' problems too, so one run lists everything to fix.
                webhook::check();
                database::check().await;
                doctor::check_discord().await;
            }
            return ExitCode::FAILURE;
        }
    };
    let client = match ZoomClient::new(&zoom) {
        Ok(client) => client,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Doctor => return doctor(&zoom, &client).await,
        Command::Meet { action } => meet(&client, action).await,
        Command::Healthcheck => return healthcheck().await,
        Command::Migrate => return database::migrate().await,
        Command::Webhook {
            action: WebhookAction::Test { meeting, url },
        } => return webhook::test(meeting, url).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn meet(client: &ZoomClient, action: MeetAction) -> Result<(), String> {
    match action {
        MeetAction::Create {
            topic,
            duration,
            start,
            timezone,
            agenda,
            passcode,
            show_start_url,
        } => {
            // The service's planning, as for /meet: its limits, defaults and time reader; a zone
            // typed in --start wins over --timezone. No Discord locale here, so "12/11" is
            // refused with both readings rather than guessed.
            let input = MeetInput {
                topic,
                duration: Some(duration),
                when: Some(start),
                timezone: Some(timezone),
                agenda,
                passcode,
                ..MeetInput::default()
            };
            let (plan, meeting) = create_without_server(client, &input)
                .await
                .map_err(|e| e.to_string())?;
            let (when, length) = (&plan.start, plan.length);
            println!("created meeting {} — {}", meeting.id, meeting.topic);
            println!("starts   {}", when.strftime("%a %-d %b %Y %H:%M %Z"));
            println!("duration {length}");
            println!("join     {}", meeting.join_url);
            if show_start_url && let Some(start_url) = &meeting.start_url {
                println!(
                    "start    {} (host credential, valid about 2 hours)",
                    start_url.expose()
                );
            }
            Ok(())
        }
        MeetAction::List => {
            let meetings = client
                .list_upcoming(client.host_user())
                .await
                .map_err(|e| e.to_string())?;
            if meetings.is_empty() {
                println!("no upcoming meetings");
            }
            for m in meetings {
                let start = m.start_time.map_or_else(
                    || "-".to_owned(),
                    |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
                );
                let minutes = m.duration.unwrap_or_default();
                println!(
                    "{:<12} {start:<21} {minutes:>4} min  {}  {}",
                    m.id,
                    m.topic,
                    m.join_url.unwrap_or_default()
                );
            }
            Ok(())
        }
        MeetAction::Delete { id } => {
            client.delete_meeting(id).await.map_err(|e| e.to_string())?;
            println!("deleted meeting {id}");
            Ok(())
        }
    }
}

/// Prints one verdict per check, Zoom's then Discord's; fails if any check fails.
async fn doctor(zoom: &ZoomConfig, client: &ZoomClient) -> ExitCode {
    let zoom_ok = doctor_zoom(zoom, client).await;
    let webhooks_ok = webhook::check();
    let accounts_ok = accounts::check().await;
    let store_ok = database::check().await;
    let discord_ok = doctor::check_discord().await;
    if zoom_ok && webhooks_ok && accounts_ok && store_ok && discord_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The Zoom checks; true when every one passed.
async fn doctor_zoom(zoom: &ZoomConfig, client: &ZoomClient) -> bool {
    let mut failed = false;
    let mut verdict = |ok: bool, what: &str, detail: &str| {
        failed |= !doctor::verdict(ok, what, detail);
    };
    verdict(
        true,
        "configuration",
        &format!(
            "account {}, API {}, token endpoint {}",
            zoom.account_id, zoom.api_base, zoom.oauth_url
        ),
    );
    let token = match client.tokens().token().await {
        Ok(token) => {
            verdict(
                true,
                "token",
                &format!(
                    "issued, valid {}",
                    humantime::format_duration(token.lifetime)
                ),
            );
            token
        }
        Err(err) => {
            verdict(false, "token", &err.to_string());
            return false;
        }
    };
    match client.get_user(client.host_user()).await {
        Ok(user) => verdict(
            user.status.as_deref().is_none_or(|s| s == "active"),
            "host user",
            &format!(
                "{} is {} ({})",
                client.host_user(),
                user.email,
                user.status.as_deref().unwrap_or("active")
            ),
        ),
        Err(err @ ZoomError::NotFound(_)) => verdict(false, "host user", &err.to_string()),
        Err(err) => verdict(
            false,
            "host user",
            &format!("{} could not be checked: {err}", client.host_user()),
        ),
    }
    let missing: Vec<String> = REQUIRED_SCOPES
        .iter()
        .filter(|need| !need.granted_by(&token.scopes))
        .map(|need| {
            format!(
                "{} (add {} or {})",
                need.purpose, need.granular, need.classic
            )
        })
        .collect();
    if missing.is_empty() {
        verdict(true, "scopes", "everything the bot needs is granted");
    } else {
        verdict(false, "scopes", &format!("missing: {}", missing.join("; ")));
    }
    !failed
}

/// The address to reach a server listening on `listen`: the same one, or loopback when it listens
/// on every interface.
pub fn local_address(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// GET /healthz of the bot on this machine; prints the answer; 0 when healthy.
async fn healthcheck() -> ExitCode {
    let listen = match http_addr_from_env() {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let url = format!("http://{}/healthz", local_address(listen));
    // No proxy: HTTP_PROXY in a container's environment must not divert a loopback request.
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(HEALTHCHECK_TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            eprintln!("unhealthy: {err}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(&url).send().await {
        Ok(response) => {
            let healthy = response.status().is_success();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            print!("{status} {body}");
            if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            let why = if err.is_timeout() {
                "no answer in time"
            } else {
                "nothing answers there (is the bot running? is HTTP_ADDR the same as the bot's?)"
            };
            println!("unhealthy: {url}: {why}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthcheck_asks_loopback_when_the_bot_listens_everywhere() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(local_address(addr("0.0.0.0:8080")), addr("127.0.0.1:8080"));
        assert_eq!(local_address(addr("[::]:9000")), addr("[::1]:9000"));
        assert_eq!(local_address(addr("10.0.0.5:8080")), addr("10.0.0.5:8080"));
    }
}
