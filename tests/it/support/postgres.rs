//! A real PostgreSQL for the tests, never a mock. Each test gets a database of its own
//! (`CREATE DATABASE zb_…`), so tests run side by side on one server.
//!
//! Which server: `ZOOMBOT_TEST_DATABASE_URL` when set (CI starts one and sets it; the URL's
//! database is used to create the others), otherwise a throwaway server this test process starts
//! once: `initdb` and `pg_ctl` found on PATH or in /usr/lib/postgresql/*/bin, run through `runuser
//! -u postgres` when the tests run as root (`initdb` refuses root), its data and unix socket in a
//! fresh directory under /tmp, no TCP port (`listen_addresses=''`), durability off (fsync,
//! synchronous commit, full page writes: a test's data need not survive a power cut).
//!
//! A static is never dropped, so the server is not stopped by a destructor: a watcher shell
//! started with it (in a session of its own, so a Ctrl-C does not take it first) blocks reading
//! a pipe only this process holds open. When the process ends in any way, a crash or SIGKILL
//! included, the pipe closes and the watcher stops the server and removes its directory.
//!
//! No server at all (no binaries, or one that cannot start): the PostgreSQL tests print a notice
//! and pass without checking anything, unless `ZOOMBOT_REQUIRE_POSTGRES=1` (CI), when they fail.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How long a server may take to start or stop (`pg_ctl -t`): a bound, never a bare sleep.
const READY_WITHIN_SECONDS: u32 = 60;

/// Where the server binaries are.
fn binaries() -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    // The newest version first (directories are named by major version).
    found.sort_by_key(|bin| {
        let version = bin.parent().and_then(Path::file_name);
        std::cmp::Reverse(version.and_then(|v| v.to_str()?.parse::<u32>().ok()))
    });
    if let Some(bin) = found.into_iter().next() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .ok_or_else(|| "no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin".to_owned())
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A server this process started; stopped (and its directory removed) when dropped, or by its
/// watcher when the process ends without dropping it.
pub struct Server {
    bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    user: String,
    /// Held open for the watcher: closing it (drop, or the process ending) stops the server.
    _watch: ChildStdin,
}

impl Server {
    /// Initialises and starts a fresh server in a new directory under /tmp (short: a unix
    /// socket's path has at most 107 bytes).
    pub fn start() -> Result<Self, String> {
        let bin = binaries()?;
        let root = tempfile::Builder::new()
            .prefix("zbpg")
            .tempdir_in("/tmp")
            .map_err(|e| format!("a directory for the server: {e}"))?
            // Kept: the watcher removes it, even after a crash.
            .keep();
        let (data, socket, log) = (root.join("data"), root.join("sock"), root.join("log"));
        std::fs::create_dir(&socket).map_err(|e| format!("{}: {e}", socket.display()))?;
        let user = if is_root() {
            let chown = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(&root)
                .status();
            if !chown.is_ok_and(|s| s.success()) {
                return Err(format!(
                    "cannot give {} to the postgres user",
                    root.display()
                ));
            }
            "postgres".to_owned()
        } else {
            std::env::var("USER").unwrap_or_else(|_| "postgres".to_owned())
        };
        let watch = watcher(&bin, &data, &root)?;
        let server = Self {
            bin,
            data,
            socket,
            log,
            user,
            _watch: watch,
        };
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                server.data.as_os_str(),
                "--auth=trust".as_ref(),
                "--no-sync".as_ref(),
                "-U".as_ref(),
                server.user.as_ref(),
            ],
        )?;
        server.start_again()?;
        Ok(server)
    }

    /// Runs one of the server's binaries (as the postgres user when we are root).
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let mut command = as_server_user(&self.bin.join(program));
        command.args(args).stdin(Stdio::null());
        let out = command
            .output()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        Err(format!(
            "{program} failed ({}): {}{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ))
    }

    fn pg_ctl(&self, action: &str, extra: &[&str]) -> Result<(), String> {
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            self.socket.display()
        );
        let timeout = READY_WITHIN_SECONDS.to_string();
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "-D".as_ref(),
            self.data.as_os_str(),
            "-l".as_ref(),
            self.log.as_os_str(),
            "-w".as_ref(),
            "-t".as_ref(),
            timeout.as_ref(),
            "-o".as_ref(),
            options.as_ref(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        args.push(action.as_ref());
        self.run("pg_ctl", &args)
    }

    /// Starts the (stopped) server, waiting until it accepts connections.
    pub fn start_again(&self) -> Result<(), String> {
        self.pg_ctl("start", &[])
    }

    /// Restarts the server as an operator would for an upgrade (`-m fast`: sessions are ended,
    /// transactions under way rolled back), waiting until it accepts connections again.
    pub fn restart(&self) -> Result<(), String> {
        self.pg_ctl("restart", &["-m", "fast"])
    }

    /// Stops the server (`-m fast`).
    pub fn stop(&self) -> Result<(), String> {
        self.pg_ctl("stop", &["-m", "fast"])
    }

    /// The URL of database `db` on this server, through its unix socket.
    pub fn url(&self, db: &str) -> String {
        url(&self.user, &self.socket, db)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The watcher, whose pipe closes with this, stops the server and removes the directory.
        let _ = self.pg_ctl("stop", &["-m", "immediate"]);
    }
}

/// `postgres://user@%2Fsocket%2Fdir/db`: the host is the socket's directory, percent-encoded
/// (the form CI's `ZOOMBOT_TEST_DATABASE_URL` has too).
pub fn url(user: &str, socket_dir: &Path, db: &str) -> String {
    let host = socket_dir.display().to_string().replace('/', "%2F");
    format!("postgres://{user}@{host}/{db}")
}

fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Starts the shell that stops the server in `data` and removes `root` once its stdin closes.
fn watcher(bin: &Path, data: &Path, root: &Path) -> Result<ChildStdin, String> {
    let runuser = if is_root() {
        "runuser -u postgres --"
    } else {
        ""
    };
    let script = format!(
        "read _; {runuser} \"$1/pg_ctl\" -D \"$2\" -m immediate stop >/dev/null 2>&1; rm -rf \"$3\""
    );
    let mut command = Command::new("sh");
    command
        .args(["-c", &script, "watcher"])
        .arg(bin)
        .arg(data)
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: between fork and exec the closure makes one system call (setsid), which is
    // async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(|| {
            let _ = rustix::process::setsid();
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the server's watcher: {e}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| "the watcher has no stdin".to_owned())
}

/// Where databases for the tests are made: the maintenance URL of a server.
enum Shared {
    External(String),
    Private(Server),
}

fn shared() -> &'static Result<Shared, String> {
    static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();
    SHARED.get_or_init(|| match std::env::var("ZOOMBOT_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Ok(Shared::External(url)),
        _ => Server::start().map(Shared::Private),
    })
}

/// `None` after the notice that PostgreSQL is unavailable; a failure when it is required.
fn unavailable<T>(why: &str) -> Option<T> {
    assert!(
        !std::env::var("ZOOMBOT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1"),
        "ZOOMBOT_REQUIRE_POSTGRES=1 and no PostgreSQL server could be started: {why}"
    );
    eprintln!(
        "skipped: no PostgreSQL server could be started ({why}); set ZOOMBOT_REQUIRE_POSTGRES=1 to fail instead"
    );
    None
}

/// A database of a test's own on a running server.
pub struct TestDb {
    /// Its URL.
    pub url: String,
}

/// A fresh, empty database on the shared server; `None` (after a notice) when there is none.
pub async fn database() -> Option<TestDb> {
    let admin = match shared() {
        Ok(Shared::External(url)) => url.clone(),
        Ok(Shared::Private(server)) => server.url("postgres"),
        Err(why) => return unavailable(why),
    };
    Some(TestDb {
        url: create_database(&admin).await,
    })
}

/// A server of the test's own, to stop and restart; `None` (after a notice) when none starts.
pub fn own_server() -> Option<Server> {
    match Server::start() {
        Ok(server) => Some(server),
        Err(why) => unavailable(&why),
    }
}

/// Makes a database with a name no other test uses on the server at `admin` (a URL of its
/// maintenance database); returns its URL.
pub async fn create_database(admin: &str) -> String {
    static MADE: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "zb_{}_{}_{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::SeqCst),
        fastrand::u32(..)
    );
    let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to the test server {admin}: {e:?}"));
    let connection = tokio::spawn(connection);
    tokio::time::timeout(
        Duration::from_secs(60),
        client.batch_execute(&format!("CREATE DATABASE {name}")),
    )
    .await
    .expect("CREATE DATABASE within a minute")
    .expect("CREATE DATABASE");
    drop(client);
    let _ = connection.await;
    with_database(admin, &name)
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{db}?{query}"),
        None => format!("{base}/{db}"),
    }
}

/// A raw connection to `url`, for planting rows as a newer zoombot (or a damaged disk) would.
pub async fn raw(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("raw connection");
    tokio::spawn(connection);
    client
}
