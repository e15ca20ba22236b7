//! The tracing subscriber. Dependencies that could log secrets are capped whatever `RUST_LOG`
//! says: serenity's `Http::request` is instrumented (request bodies, host links included, at
//! debug) and it logs unparsable gateway events whole (interaction tokens included) at WARN.

use tracing_subscriber::EnvFilter;

/// Levels no `RUST_LOG` can raise: (target, most verbose level allowed).
const CAPS: &[&str] = &[
    "serenity=error",
    "hyper=info",
    "hyper_util=info",
    "reqwest=info",
    "rustls=info",
    "h2=info",
];

/// Installs the global subscriber: `RUST_LOG` (default `info`), with the caps above.
///
/// # Panics
/// Never: the caps are literals that parse.
pub fn init() {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for cap in CAPS {
        // Each cap is a literal that parses; a later directive for the same target wins.
        filter = filter.add_directive(cap.parse().expect("static directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
