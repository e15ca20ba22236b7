//! The serenity adapter. `client` builds the client, `events` takes the gateway's events
//! (`interactions` takes them over HTTP instead, with `DISCORD_MODE=http`),
//! `router` answers every interaction, `commands` lists the commands, each declared once
//! (`declare`) in a file of its own (`meet`, `meetings`, `settings`, `timezone`) that translates
//! it into service calls; `reply` holds every word a member sees.

pub mod announce;
pub mod client;
pub mod commands;
pub mod declare;
pub mod effects;
pub mod events;
pub mod failure;
pub mod gateway;
pub mod interactions;
pub mod meet;
pub mod meetings;
pub mod reply;
pub mod rest;
pub mod router;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod timezone;
pub mod tracking;
pub mod unreadable;
pub mod watch;
pub mod zoom;

use serenity::all::GatewayIntents;

pub use client::{client, http};
pub use gateway::GatewayStatus;
pub use tracking::{InFlight, InFlightGuard, Intake, Seen};

/// The gateway intents the bot asks for ([`failure::INTENT_NAMES`] names them).
pub const INTENTS: GatewayIntents = GatewayIntents::GUILDS;
