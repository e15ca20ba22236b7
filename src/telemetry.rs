//! The tracing subscriber. Dependencies that could log secrets are capped whatever `RUST_LOG`
//! says: serenity's `Http::request` is instrumented (request bodies, host links included, at
//! debug) and it logs unparsable gateway events whole (interaction tokens included) at WARN;
//! tungstenite logs gateway frames (IDENTIFY carries the bot token) at trace. serenity's gateway
//! lines are still read, by `discord::watch`, which logs what failed in its own words.

use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// The most verbose level each of these targets may log at, whatever `RUST_LOG` says.
const CAPS: &[(&str, LevelFilter)] = &[
    ("serenity", LevelFilter::ERROR),
    ("tungstenite", LevelFilter::WARN),
    ("tokio_tungstenite", LevelFilter::WARN),
    ("hyper", LevelFilter::INFO),
    ("hyper_util", LevelFilter::INFO),
    ("reqwest", LevelFilter::INFO),
    ("rustls", LevelFilter::INFO),
    ("h2", LevelFilter::INFO),
];

/// The caps as a filter of their own. Both it and `RUST_LOG` must let an event through, so a more
/// specific `RUST_LOG` directive (say `serenity::http=debug`) cannot lift a cap.
fn caps() -> Targets {
    CAPS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, (target, level)| t.with_target(*target, *level),
    )
}

/// How log lines look (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Readable lines for a terminal (the default).
    #[default]
    Pretty,
    /// One JSON object per line, with the current span and its parents, for log collectors.
    Json,
}

/// Whether `pretty` lines get ANSI colours: only on a terminal (in `docker logs`, journald or a
/// file the codes are noise), and never when `NO_COLOR` is set to anything but "" (no-color.org).
fn colours(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
}

/// Installs the global subscriber on stderr: `RUST_LOG` (default `info`) within the caps above.
pub fn init(format: LogFormat) {
    use std::io::IsTerminal;
    let env = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = env.and(caps());
    match format {
        LogFormat::Pretty => {
            let ansi = colours(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            );
            let layer = fmt::layer().with_ansi(ansi).with_writer(std::io::stderr);
            tracing_subscriber::registry()
                .with(layer.with_filter(filter))
                .with(crate::discord::watch::layer())
                .init();
        }
        LogFormat::Json => {
            let layer = fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(std::io::stderr);
            tracing_subscriber::registry()
                .with(layer.with_filter(filter))
                .with(crate::discord::watch::layer())
                .init();
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn caps_hold_for_submodules_of_capped_crates() {
        let caps = caps();
        assert!(!caps.would_enable("serenity::http::client", &Level::WARN));
        assert!(caps.would_enable("serenity::http::client", &Level::ERROR));
        assert!(!caps.would_enable("tungstenite::protocol", &Level::TRACE));
        assert!(caps.would_enable("zoombot::discord", &Level::TRACE));
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colours(true, None));
        assert!(colours(true, Some(OsStr::new(""))));
        assert!(!colours(true, Some(OsStr::new("1"))));
        assert!(!colours(false, None));
    }
}
