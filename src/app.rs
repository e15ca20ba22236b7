//! Wiring: the Zoom client, the store, the service, the Discord side and the HTTP server; runs
//! until SIGINT or SIGTERM, then stops taking interactions (the gateway, or the interactions
//! endpoint), lets in-flight commands finish (bounded), flushes the store and stops the HTTP
//! server. What differs by `DISCORD_MODE` is in `gateway` and `http_mode`; the Discord-side
//! tasks both run (reminders, webhook effects) in `tasks`.

mod gateway;
mod http_mode;
mod tasks;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{BotConfig, DiscordMode};
use crate::discord::{self, InFlight};
use crate::health::{self, FlushWatch, Health};
use crate::http::{self, HttpState};
use crate::meetings::Meetings;
use crate::meetings::unfinished::Journal;
use crate::meetings::webhooks::Inbox;
use crate::metrics::Metrics;
use crate::sealed::Sealer;
use crate::store::{PgStore, SledStore, Store};
use crate::zoom::ZoomClient;

/// How long shutdown waits for commands being handled, at least: a create whose first send hangs
/// for the whole Zoom request timeout still has its check and its answer to come (see [`drain`]).
const DRAIN: Duration = Duration::from_secs(10);

/// How long shutdown waits for commands in flight: long enough for a create that meets a Zoom
/// timeout to check for its meeting and record it, so no meeting made in Zoom goes unrecorded.
fn drain(request_timeout: Duration) -> Duration {
    DRAIN.max(request_timeout * 2 + Duration::from_secs(5))
}
/// How long shutdown waits for HTTP requests being answered.
const HTTP_DRAIN: Duration = Duration::from_secs(5);

/// Why the bot stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Zoom client construction failed.
    #[error(transparent)]
    Zoom(#[from] crate::zoom::ZoomError),
    /// Discord refused the bot in a way no retry fixes (token, intents, API version, shards).
    #[error(transparent)]
    Refused(#[from] discord::failure::Fatal),
    /// Discord failed otherwise.
    #[error("Discord: {0}. Check DISCORD_TOKEN (Developer Portal → your application → Bot).")]
    Discord(#[from] serenity::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// `DATA_DIR` cannot be written.
    #[error(transparent)]
    DataDir(#[from] crate::process::NotWritable),
    /// The HTTP server could not listen on `HTTP_ADDR`.
    #[error(transparent)]
    Http(#[from] http::BindError),
}

/// Runs the bot, with its store in `DATA_DIR` (or the PostgreSQL of `DATABASE_URL`), until a
/// shutdown signal.
pub async fn run(config: BotConfig) -> Result<(), AppError> {
    // Before anything is opened: the umask must cover the data directory and sled's files.
    crate::process::prepare();
    // First, so a taken HTTP_ADDR or an unusable store stops the bot before it connects to
    // anything.
    let listener = http::bind(config.http_addr).await?;
    let store = open_store(&config).await?;
    run_on(config, listener, store).await
}

/// The store the configuration names: PostgreSQL (its schema brought up to date) when
/// `DATABASE_URL` is set, else sled in `DATA_DIR`.
async fn open_store(config: &BotConfig) -> Result<Arc<dyn Store>, AppError> {
    if let Some(database) = &config.database {
        let store = PgStore::connect(database.url.expose(), database.max_connections).await?;
        tracing::info!(
            database = %database.shown(),
            max_connections = database.max_connections,
            "store opened: PostgreSQL, schema up to date"
        );
        return Ok(Arc::new(store));
    }
    crate::process::check_writable(&config.data_dir)?;
    let sled = SledStore::open(&config.data_dir)?;
    crate::process::warn_if_shared(&config.data_dir);
    tracing::info!(
        data_dir = %config.data_dir.display(),
        servers_with_settings = sled.guild_count(),
        "store opened"
    );
    Ok(Arc::new(sled))
}

/// What both ways of taking interactions share: the service and what it runs on, the HTTP
/// listener, and the count of commands in flight that shutdown waits for.
struct Parts {
    config: BotConfig,
    zoom: Arc<ZoomClient>,
    service: Arc<Meetings>,
    store: Arc<dyn Store>,
    flushes: Arc<FlushWatch>,
    metrics: Arc<Metrics>,
    in_flight: Arc<InFlight>,
    listener: TcpListener,
    http_addr: std::net::SocketAddr,
}

/// Names the key unfinished interactions are sealed with, derived from the bot's token (which
/// every process has, and which the store does not hold): the token lives 15 minutes anyway.
const UNFINISHED_KEY_INFO: &[u8] = b"zoombot unfinished interactions v1";

/// Runs the bot with its HTTP server on `listener` and its data in `store` (tests bind port 0,
/// and hand in stores that fail on demand).
pub async fn run_on(
    config: BotConfig,
    listener: TcpListener,
    store: Arc<dyn Store>,
) -> Result<(), AppError> {
    let (store, flushes) = health::watch_flushes(store);
    let metrics = Arc::new(Metrics::new());
    let zoom = Arc::new(ZoomClient::new(&config.zoom)?.with_metrics(Arc::clone(&metrics)));
    let accounts = accounts(&config, &zoom, &store, &metrics);
    let mut service = Meetings::new(
        Arc::clone(&zoom) as Arc<dyn crate::meetings::Zoom>,
        Arc::clone(&store),
    )
    .with_limits(config.limits)
    .with_journal(Journal::new(Sealer::derive_for(
        &config.discord.token,
        UNFINISHED_KEY_INFO,
    )));
    if let Some(accounts) = &accounts {
        service = service.with_accounts(Arc::clone(accounts));
    }
    let service = Arc::new(service);
    // Before any interaction is taken up: no other process may take this one for dead.
    if let Err(err) = service.beat().await {
        tracing::warn!(error = %err, "could not note this process as alive in the store");
    }
    let _pruner = AbortOnDrop(tokio::spawn(tasks::prune_forever(Arc::clone(&service))));
    let http_addr = listener.local_addr().map_err(|source| http::BindError {
        addr: config.http_addr,
        source,
    })?;
    log_start(&config, http_addr);
    let mode = config.discord.mode.clone();
    let parts = Parts {
        config,
        zoom,
        service,
        store,
        flushes,
        metrics,
        in_flight: Arc::new(InFlight::default()),
        listener,
        http_addr,
    };
    match mode {
        DiscordMode::Gateway => gateway::run(parts).await,
        DiscordMode::Http { public_key } => http_mode::run(parts, &public_key).await,
    }
}

/// The HTTP server, running until `stop` is sent (or the task is dropped).
struct Server {
    task: AbortOnDrop,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Parts {
    /// What the HTTP handlers need, with `health` and the interactions endpoint as the mode has
    /// them.
    fn http_state(
        &self,
        health: Health,
        interactions: Option<Arc<discord::interactions::Endpoint>>,
    ) -> HttpState {
        HttpState {
            health,
            metrics: Arc::clone(&self.metrics),
            webhooks: webhook_state(&self.config, &self.service),
            user_webhooks: user_webhook_state(&self.config, &self.service),
            accounts: self.service.accounts().cloned(),
            interactions,
        }
    }

    /// Starts serving `state` on the listener; `routes` names them for the log.
    fn serve(self, state: HttpState, routes: &str) -> (Server, Serving) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = AbortOnDrop(tokio::spawn(http::serve(self.listener, state, async {
            let _ = stopped.await;
        })));
        tracing::info!(
            addr = %self.http_addr,
            max_connections = http::connection_limit(crate::process::open_file_limit()),
            header_read_timeout = %humantime::format_duration(http::HEADER_READ_TIMEOUT),
            "HTTP server listening: {routes}"
        );
        let serving = Serving {
            config: self.config,
            zoom: self.zoom,
            service: self.service,
            store: self.store,
            metrics: self.metrics,
            in_flight: self.in_flight,
        };
        (Server { task, stop }, serving)
    }
}

/// [`Parts`] once the HTTP server has the listener.
struct Serving {
    config: BotConfig,
    zoom: Arc<ZoomClient>,
    service: Arc<Meetings>,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    in_flight: Arc<InFlight>,
}

impl Serving {
    /// After interactions stopped coming in: waits for the commands in flight (bounded), flushes
    /// the store and stops the HTTP server. `stopped` says for the log what stopped the intake.
    async fn finish(self, server: Server, stopped: &'static str) -> Result<(), AppError> {
        let Server {
            task: mut server,
            stop,
        } = server;
        let pending = self.in_flight.count();
        if self
            .in_flight
            .wait_idle(drain(self.config.zoom.request_timeout))
            .await
        {
            tracing::info!(waited_for = pending, "in-flight commands finished");
        } else {
            tracing::warn!(
                left = self.in_flight.count(),
                "gave up waiting for in-flight commands"
            );
        }
        self.store.flush().await?;
        tracing::info!("store flushed");
        let _ = stop.send(());
        let http = match tokio::time::timeout(HTTP_DRAIN, &mut server.0).await {
            Ok(Ok(Ok(()))) => "stopped",
            Ok(Ok(Err(err))) => {
                tracing::warn!(error = %err, "the HTTP server failed");
                "failed"
            }
            Ok(Err(_)) => "failed",
            Err(_) => "gave up waiting",
        };
        tracing::info!(
            gateway = stopped,
            commands_waited_for = pending,
            commands_left = self.in_flight.count(),
            store = "flushed",
            http,
            "shut down; bye"
        );
        Ok(())
    }
}

/// The start-up facts an operator checks first.
fn log_start(config: &BotConfig, http_addr: std::net::SocketAddr) {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        discord_mode = config.discord.mode.name(),
        zoom_host_user = %config.zoom.host_user,
        zoom_api = %config.zoom.api_base,
        dev_guild = config.discord.guild_id.map_or_else(|| "none".to_owned(), |g| g.to_string()),
        discord_api = config.discord.api_base.as_deref().unwrap_or("https://discord.com"),
        store = %crate::config::database_status(config.database.as_ref()),
        data_dir = %config.data_dir.display(),
        http = %http_addr,
        "starting zoombot"
    );
    let webhooks = crate::config::webhook_status(config.webhooks.as_ref());
    tracing::info!("Zoom webhooks {webhooks}");
    let accounts = crate::config::accounts_status(config.accounts.as_ref());
    tracing::info!("Members' own Zoom accounts {accounts}");
}

/// `POST /zoom/webhook`'s secret and inbox (the service, which keeps each event in the store
/// before Zoom hears "200"), when webhooks are configured.
fn webhook_state(config: &BotConfig, service: &Arc<Meetings>) -> Option<http::Webhooks> {
    let webhooks = config.webhooks.as_ref()?;
    Some(http::Webhooks {
        secret: webhooks.secret.clone(),
        inbox: Arc::clone(service) as Arc<dyn Inbox>,
    })
}

/// Members' own Zoom accounts, when the operator set up the user app: its tokens sealed with a
/// key derived from the app's client secret (which the operator keeps anyway, and without which
/// a refresh token is useless), so the data directory alone holds nothing usable.
fn accounts(
    config: &BotConfig,
    zoom: &Arc<ZoomClient>,
    store: &Arc<dyn Store>,
    metrics: &Arc<Metrics>,
) -> Option<Arc<crate::meetings::Accounts>> {
    let settings = config.accounts.as_ref()?;
    let app = crate::zoom::user_auth::UserApp::new(zoom.http().clone(), settings.app.clone());
    Some(Arc::new(crate::meetings::Accounts::new(
        app,
        crate::sealed::Sealer::derive(&settings.app.client_secret),
        Arc::clone(store),
        Arc::clone(zoom) as Arc<dyn crate::meetings::Zoom>,
        Some(Arc::clone(metrics)),
    )))
}

/// `POST /zoom/user-webhook`'s secret and where its events go (deauthorizations to the accounts,
/// members' meetings to the inbox).
fn user_webhook_state(config: &BotConfig, service: &Arc<Meetings>) -> Option<http::Webhooks> {
    let secret = config.accounts.as_ref()?.webhook_secret.clone()?;
    Some(http::Webhooks {
        secret,
        inbox: Arc::new(crate::meetings::accounts::UserAppInbox(Arc::clone(service))),
    })
}

/// Stops a task when `run_on` returns early (Discord refused) or is dropped (tests).
struct AbortOnDrop(tokio::task::JoinHandle<std::io::Result<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
