//! The `zoombot` binary: parse the command line, load `.env`, start telemetry, hand over.

use std::process::ExitCode;

use clap::Parser;
use zoombot::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A missing .env is fine: the environment may hold everything.
    let _ = dotenvy::dotenv();
    // The subscriber needs LOG_FORMAT before the rest of the configuration is read. A bad value
    // starts it readable; the bot then reports it with every other problem, a subcommand alone.
    let log_format = zoombot::config::log_format_from_env();
    zoombot::telemetry::init(log_format.clone().unwrap_or_default());
    if let Some(command) = cli.command {
        if let Err(err) = log_format {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
        return cli::run(command).await;
    }
    let config = match zoombot::config::BotConfig::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    match zoombot::app::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "zoombot stopped");
            ExitCode::FAILURE
        }
    }
}
