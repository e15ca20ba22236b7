//! The command line: `zoombot` runs the bot; `doctor` checks the setup; `meet` manages meetings.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::ZoomConfig;
use crate::scheduling::{duration::parse_duration, timezone::parse_timezone, when::parse_when};
use crate::secret::Secret;
use crate::zoom::auth::REQUIRED_SCOPES;
use crate::zoom::model::NewMeeting;
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
    /// Check the configuration and the Zoom app: credentials, host user and scopes.
    Doctor,
    /// Create, list and delete Zoom meetings from the command line.
    Meet {
        /// The meeting action.
        #[command(subcommand)]
        action: MeetAction,
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
        /// When: "now", "in 2h", "tomorrow 15:00", "2026-12-01 15:00", RFC 3339.
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

/// Runs a CLI subcommand to completion.
pub async fn run(command: Command) -> ExitCode {
    let zoom = match ZoomConfig::from_env() {
        Ok(config) => config,
        Err(err) => {
            if matches!(command, Command::Doctor) {
                println!("FAIL  configuration");
            }
            eprintln!("{err}");
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
            let length = parse_duration(&duration).map_err(|e| e.to_string())?;
            let tz = parse_timezone(&timezone).map_err(|e| e.to_string())?;
            let when =
                parse_when(&start, jiff::Timestamp::now(), &tz).map_err(|e| e.to_string())?;
            let mut request = NewMeeting::new(topic, when.timestamp(), length.minutes());
            request.timezone = tz.iana_name().map(str::to_owned);
            request.agenda = agenda;
            request.password = passcode.map(Secret::new);
            let meeting = client
                .create_meeting(client.host_user(), &request)
                .await
                .map_err(|e| e.to_string())?;
            println!("created meeting {} — {}", meeting.id, meeting.topic);
            println!("starts   {}", when.strftime("%a %-d %b %Y %H:%M %Z"));
            println!("duration {length}");
            println!("join     {}", meeting.join_url);
            if show_start_url {
                if let Some(start_url) = &meeting.start_url {
                    println!(
                        "start    {} (host credential, valid about 2 hours)",
                        start_url.expose()
                    );
                }
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

/// Prints one verdict per check; fails if any check fails.
async fn doctor(zoom: &ZoomConfig, client: &ZoomClient) -> ExitCode {
    let mut failed = false;
    let mut verdict = |ok: bool, what: &str, detail: &str| {
        failed |= !ok;
        println!("{}  {what}: {detail}", if ok { "ok  " } else { "FAIL" });
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
            return ExitCode::FAILURE;
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
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
