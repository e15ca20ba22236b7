//! The integration tests: one test crate, so the fakes and helpers in `support` compile once and
//! what no test uses is reported as dead code. A new test file is a module here (`mod name;`).
//!
//! Everything here shares one process, so a test changes no process-wide state (environment,
//! current directory, umask, a global tracing subscriber): what needs other process settings is
//! the real binary, started as a child with them. The one exception, `http_server`, only raises
//! this process's soft open-file limit to its hard limit, which no other test can notice.

mod support;

mod abuse;
mod accounts;
mod accounts_crash;
mod bot_binary;
mod bot_meet;
mod bot_settings;
mod cli;
mod compose;
mod data_dir;
mod fake_discord_selftest;
mod fake_zoom_selftest;
mod faults;
mod health;
mod host_links;
mod hostile_input;
mod http_server;
mod interactions;
mod lifecycle;
mod metrics;
mod operator_told;
mod postgres;
mod properties;
mod readme;
mod replicas;
mod security;
mod store;
mod store_conformance;
mod webhook;
mod webhook_effects;
mod when_corpus;
mod zoom_client;
mod zoom_contract;
