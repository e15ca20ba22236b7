//! The `zoombot` binary: parse the command line, load `.env`, start telemetry, hand over.

use std::process::ExitCode;

use clap::Parser;
use zoombot::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A missing .env is fine: the environment may hold everything.
    let _ = dotenvy::dotenv();
    zoombot::telemetry::init();
    if let Some(command) = cli.command {
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
