//! The real `zoombot` binary against the fakes, started with process settings a test chooses
//! (open-file limits, umask) before it runs, as an operator's system would start it.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Resource, Rlimit, setrlimit};

use super::bot::{PATIENCE, strings};
use super::fake_discord::{self, FakeDiscord, Member};
use super::fake_zoom::FakeZoom;

/// How the binary is started.
#[derive(Default)]
pub struct Start {
    /// The open-file limit it starts with: soft, and hard (`None`: the test's own hard limit).
    pub nofile: Option<(u64, Option<u64>)>,
    /// `DATA_DIR`, relative to a fresh temporary directory (default: `data`, not yet created).
    pub data_dir: Option<&'static str>,
    /// Done to the data directory's parent before the bot starts (create the directory, say).
    pub prepare: Option<fn(&Path)>,
}

/// A running binary, killed when dropped.
pub struct Binary {
    child: Child,
    log: Arc<Mutex<String>>,
    pub discord: FakeDiscord,
    _zoom: FakeZoom,
    pub data_dir: PathBuf,
    _root: tempfile::TempDir,
}

impl Binary {
    /// Starts the binary with a umask of 022 (so what it creates is private only if it makes
    /// it so) and waits until it has registered its commands.
    pub async fn start(start: Start) -> Self {
        let discord = FakeDiscord::start().await;
        let zoom = FakeZoom::start().await;
        let root = tempfile::tempdir().expect("temporary dir");
        let data_dir = root.path().join(start.data_dir.unwrap_or("data"));
        if let Some(prepare) = start.prepare {
            prepare(root.path());
        }
        let mut env = super::binary_env(&discord, &zoom, &data_dir);
        env.push(("RUST_LOG", "info".to_owned()));
        let mut command = super::binary_command(env, &[], root.path());
        let nofile = start.nofile;
        // SAFETY: between fork and exec the closure only makes two system calls (umask and
        // setrlimit), which are async-signal-safe; it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(move || {
                rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
                if let Some((soft, hard)) = nofile {
                    let maximum = hard.or(rustix::process::getrlimit(Resource::Nofile).maximum);
                    setrlimit(
                        Resource::Nofile,
                        Rlimit {
                            current: Some(soft),
                            maximum,
                        },
                    )?;
                }
                Ok(())
            });
        }
        let mut child = command.spawn().expect("start zoombot");
        let log = super::capture_stderr(&mut child);
        let bot = Self {
            child,
            log,
            discord,
            _zoom: zoom,
            data_dir,
            _root: root,
        };
        let ready = super::registered(&bot.discord, 0).await;
        assert!(ready, "the bot did not start: {}", bot.log());
        bot
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything it has logged so far, without the terminal colours.
    pub fn log(&self) -> String {
        anstream::adapter::strip_str(&self.log.lock().unwrap()).to_string()
    }

    /// Waits (bounded) until the log has a line containing `text`; that line.
    pub async fn log_line(&self, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(text)) {
                return line.to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no log line with {text:?}: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Where its HTTP server listens, from its start-up log line.
    pub async fn http_addr(&self) -> SocketAddr {
        let line = self.log_line("HTTP server listening").await;
        super::listening_addr(&line).unwrap_or_else(|| panic!("no address in {line:?}"))
    }

    /// A `/meet` by a member of its own, dispatched as interaction `id`: whether it was
    /// scheduled (the private answer) and posted (the public message), each within the
    /// usual patience.
    pub async fn meet(&self, id: u64, topic: &str) -> Result<(), String> {
        let token = format!("interaction-token-{id}");
        let member = Member::regular(1_400_000_000_000_000_000 + id);
        let payload = fake_discord::slash_command_here(
            id,
            &token,
            &member,
            "meet",
            strings(&[("topic", topic)]),
        );
        self.discord.dispatch_interaction(payload).await;
        let answered = self
            .discord
            .wait_for(
                |d| d.original(&token).is_some_and(|m| !m.thinking),
                PATIENCE,
            )
            .await;
        let answer = self.discord.original(&token).map(|m| m.content);
        match answer {
            Some(text) if answered && text.starts_with("Scheduled") => {}
            other => return Err(format!("the /meet was answered {other:?}")),
        }
        let posted = self
            .discord
            .wait_for(|d| !d.followups(&token).is_empty(), PATIENCE)
            .await;
        if posted {
            Ok(())
        } else {
            Err("no public message".to_owned())
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        // A failed test must not leave a bot running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
