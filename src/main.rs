//! The `zoombot` binary: parse the command line, load `.env`, start telemetry, hand over.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use zoombot::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A missing .env is fine: the environment may hold everything.
    let _ = dotenvy::dotenv();
    zoombot::telemetry::init();
    if let Some(command) = cli.command {
        cli::run(command).await
    } else {
        // Running the bot arrives with the Discord front end; until then, show what exists.
        let _ = Cli::command().print_help();
        ExitCode::SUCCESS
    }
}
