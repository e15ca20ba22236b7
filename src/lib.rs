//! zoombot: schedule Zoom meetings from Discord slash commands.

pub mod cli;
pub mod config;
pub mod scheduling;
pub mod secret;
pub mod telemetry;
pub mod zoom;
