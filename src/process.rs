//! Process-wide settings the bot applies at start, before it opens anything: a private umask,
//! and the open-file limit raised as far as the system allows. (Unix only; elsewhere nothing.)

use std::path::Path;

#[cfg(unix)]
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Applies the bot's process settings and logs what it found and set. Called before the store
/// opens and the HTTP server starts: the umask only covers files created after it, and the HTTP
/// server sizes its connection limit from the open-file limit.
pub fn prepare() {
    #[cfg(unix)]
    {
        private_files();
        raise_open_file_limit();
    }
}

/// The soft open-file limit now in force; `None` when unlimited (or not known on this system).
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    return getrlimit(Resource::Nofile).current;
    #[cfg(not(unix))]
    None
}

/// Warns when `dir` (`DATA_DIR`) can be read or entered by other users: it says who scheduled
/// what. Only warns: the operator may share it on purpose, and changing modes behind their back
/// could break that.
pub fn warn_if_shared(dir: &Path) {
    #[cfg(unix)]
    if let Some(mode) = shared_mode(dir) {
        tracing::warn!(
            data_dir = %dir.display(),
            mode = %format!("{mode:04o}"),
            "DATA_DIR can be read by other users of this machine: run chmod 700 {} \
             (chmod -R go= {} also covers files an earlier zoombot made readable)",
            dir.display(),
            dir.display(),
        );
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// `DATA_DIR` cannot be written by the user the bot runs as.
#[derive(Debug, thiserror::Error)]
#[error(
    "DATA_DIR {dir} cannot be written by this process ({source}); it runs as uid {uid}, gid {gid}, \
     which needs to own it. For a bind mount (docker run -v /host/dir:/data), on the host: \
     sudo chown -R {uid}:{gid} /host/dir && sudo chmod 700 /host/dir (the image runs as \
     65532:65532), or use a named volume (-v zoombot-data:/data), which Docker creates writable."
)]
pub struct NotWritable {
    /// The directory.
    pub dir: String,
    /// The user and group the process runs as.
    pub uid: u32,
    /// The group.
    pub gid: u32,
    /// Why the write failed.
    pub source: std::io::Error,
}

/// Checks that `dir` exists (creating it) and that a file can be created in it, so a directory
/// the bot may not write is reported naming who needs access, instead of sled's bare
/// "Permission denied" (a bind mount keeps the host's owner, and the image runs as 65532).
pub fn check_writable(dir: &Path) -> Result<(), NotWritable> {
    let probe = dir.join(format!(".zoombot-write-check-{}", std::process::id()));
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map(drop)
    });
    let _ = std::fs::remove_file(&probe);
    match result {
        Ok(()) => Ok(()),
        Err(source) => {
            #[cfg(unix)]
            let (uid, gid) = (
                rustix::process::getuid().as_raw(),
                rustix::process::getgid().as_raw(),
            );
            #[cfg(not(unix))]
            let (uid, gid) = (0, 0);
            Err(NotWritable {
                dir: dir.display().to_string(),
                uid,
                gid,
                source,
            })
        }
    }
}

/// A umask of 077: the data directory becomes 0700 and every file in it (sled creates some
/// later, in the background) 0600, with no chmod after the fact to race against.
#[cfg(unix)]
fn private_files() {
    let previous = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    tracing::info!(
        umask = "0077",
        previous = %format!("{:04o}", previous.as_raw_mode()),
        "files are created readable by this user only"
    );
}

/// Many systems start a process at a soft limit of 1,024 open files while the hard limit is far
/// higher; idle connections from strangers then exhaust it. Raising the soft limit to the hard
/// one needs no privilege.
#[cfg(unix)]
fn raise_open_file_limit() {
    let show = |n: Option<u64>| n.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    let before = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: before.maximum,
        maximum: before.maximum,
    };
    let set = if before.current == before.maximum {
        Ok(())
    } else {
        setrlimit(Resource::Nofile, raised)
    };
    match set {
        Ok(()) => tracing::info!(
            soft_before = %show(before.current),
            soft = %show(getrlimit(Resource::Nofile).current),
            hard = %show(before.maximum),
            "open-file limit"
        ),
        Err(err) => tracing::warn!(
            soft = %show(before.current),
            hard = %show(before.maximum),
            error = %std::io::Error::from(err),
            "could not raise the open-file limit; the HTTP server sizes its connection limit to it"
        ),
    }
}

/// The directory's permission bits when group or others have any.
#[cfg(unix)]
fn shared_mode(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o7777;
    (mode & 0o077 != 0).then_some(mode)
}
