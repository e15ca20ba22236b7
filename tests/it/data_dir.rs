//! `DATA_DIR` is private: the real binary, started with the usual umask of 022, creates it 0700
//! and its files without group or other bits, and warns about an existing directory others can
//! read, naming it, its mode and the fix.
#![cfg(unix)]

use crate::support;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use support::binary::{Binary, Start};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

/// Every file and directory under `dir`.
fn everything_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            everything_under(&path, out);
        }
        out.push(path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_data_dir_is_created_0700_and_nothing_in_it_is_open_to_others() {
    let bot = Binary::start(Start::default()).await;
    // A write and its flush, so sled has made the files it makes while running.
    bot.meet(1_500_000_000_000_000_001, "Private files")
        .await
        .expect("a /meet");

    assert_eq!(mode(&bot.data_dir), 0o700, "{}", bot.data_dir.display());
    let mut paths = Vec::new();
    everything_under(&bot.data_dir, &mut paths);
    assert!(!paths.is_empty(), "sled made no files");
    let open: Vec<String> = paths
        .iter()
        .filter(|p| mode(p) & 0o077 != 0)
        .map(|p| format!("{} {:04o}", p.display(), mode(p)))
        .collect();
    assert!(open.is_empty(), "open to group or others: {open:?}");
    assert!(!bot.log().contains("chmod"), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_data_dir_open_to_others_is_warned_about_with_its_path_mode_and_the_fix() {
    let bot = Binary::start(Start {
        data_dir: Some("shared"),
        prepare: Some(|root| {
            std::fs::DirBuilder::new()
                .mode(0o755)
                .create(root.join("shared"))
                .expect("create the data dir");
            std::fs::set_permissions(root.join("shared"), std::fs::Permissions::from_mode(0o755))
                .expect("chmod 755");
        }),
        ..Start::default()
    })
    .await;

    let warning = bot.log_line("DATA_DIR can be read by other users").await;

    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains(&bot.data_dir.display().to_string()),
        "{warning}"
    );
    assert!(warning.contains("mode=0755"), "{warning}");
    assert!(
        warning.contains(&format!("chmod 700 {}", bot.data_dir.display())),
        "{warning}"
    );
}
