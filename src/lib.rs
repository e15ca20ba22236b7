//! zoombot: schedule Zoom meetings from Discord slash commands.

pub mod app;
pub mod cli;
pub mod config;
pub mod discord;
pub mod health;
pub mod http;
pub mod ids;
pub mod meetings;
pub mod metrics;
pub mod process;
pub mod scheduling;
pub mod sealed;
pub mod secret;
pub mod store;
pub mod telemetry;
pub mod zoom;
