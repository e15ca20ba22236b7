//! The release `zoombot` binary next to an example, started against the fakes.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::fake_discord::FakeDiscord;
use crate::fake_zoom::FakeZoom;

/// Starts `target/release/zoombot` against `discord` and `zoom`, its data in `data_dir`, its HTTP
/// server on a free loopback port, logging warnings; `extra` adds or overrides variables.
pub fn spawn(
    discord: &FakeDiscord,
    zoom: &FakeZoom,
    data_dir: &Path,
    extra: &[(&str, &str)],
) -> Child {
    // ZOOMBOT_BIN runs another build (an older one, to compare) against the same fakes.
    let binary = std::env::var_os("ZOOMBOT_BIN").map_or_else(
        || {
            std::env::current_exe()
                .expect("exe")
                .parent()
                .and_then(|p| p.parent())
                .expect("target dir")
                .join("zoombot")
        },
        std::path::PathBuf::from,
    );
    Command::new(&binary)
        .env_clear()
        .envs(discord.bot_env())
        .envs(zoom.bot_env())
        .envs([
            ("DATA_DIR", data_dir.display().to_string()),
            ("HTTP_ADDR", "127.0.0.1:0".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ])
        .envs(extra.iter().map(|(k, v)| (*k, *v)))
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (build it with cargo build --release)",
                binary.display()
            )
        })
}
