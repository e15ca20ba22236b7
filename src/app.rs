//! Wiring: the Zoom client, the store, the service, the Discord client and the HTTP server; runs
//! until SIGINT or SIGTERM, then stops the gateway, lets in-flight commands finish (bounded),
//! flushes the store and stops the HTTP server.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::BotConfig;
use crate::discord::{self, GatewayStatus, InFlight};
use crate::health::{self, Health};
use crate::http::{self, HttpState};
use crate::meetings::Meetings;
use crate::meetings::webhooks::Inbox;
use crate::metrics::Metrics;
use crate::store::{SledStore, Store};
use crate::zoom::ZoomClient;

/// How long shutdown waits for commands being handled, at least: a create whose first send hangs
/// for the whole Zoom request timeout still has its check and its answer to come (see [`drain`]).
const DRAIN: Duration = Duration::from_secs(10);
/// How often records of meetings past their retention are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(6 * 60 * 60);

/// How long shutdown waits for commands in flight: long enough for a create that meets a Zoom
/// timeout to check for its meeting and record it, so no meeting made in Zoom goes unrecorded.
fn drain(request_timeout: Duration) -> Duration {
    DRAIN.max(request_timeout * 2 + Duration::from_secs(5))
}
/// How long stopping the gateway may take after Discord refused the bot.
const SHARD_STOP: Duration = Duration::from_secs(1);
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

/// Runs the bot, with its store in `DATA_DIR`, until a shutdown signal.
pub async fn run(config: BotConfig) -> Result<(), AppError> {
    // Before anything is opened: the umask must cover the data directory and sled's files.
    crate::process::prepare();
    // Both first, so a taken HTTP_ADDR or DATA_DIR stops the bot before it connects to anything.
    let listener = http::bind(config.http_addr).await?;
    crate::process::check_writable(&config.data_dir)?;
    let sled = SledStore::open(&config.data_dir)?;
    crate::process::warn_if_shared(&config.data_dir);
    tracing::info!(
        data_dir = %config.data_dir.display(),
        servers_with_settings = sled.guild_count(),
        "store opened"
    );
    run_on(config, listener, Arc::new(sled)).await
}

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
    .with_limits(config.limits);
    if let Some(accounts) = &accounts {
        service = service.with_accounts(Arc::clone(accounts));
    }
    let service = Arc::new(service);
    let drain = drain(config.zoom.request_timeout);
    let _pruner = AbortOnDrop(tokio::spawn(prune_forever(Arc::clone(&service))));
    let in_flight = Arc::new(InFlight::default());
    let gateway = Arc::new(GatewayStatus::default());
    let http_addr = listener.local_addr().map_err(|source| http::BindError {
        addr: config.http_addr,
        source,
    })?;
    log_start(&config, http_addr);
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let webhooks = webhook_state(&config, &service);
    let state = HttpState {
        health: Health::new(Arc::clone(&gateway) as _, flushes),
        metrics: Arc::clone(&metrics),
        webhooks,
        user_webhooks: user_webhook_state(&config, &service),
        accounts,
    };
    let mut server = AbortOnDrop(tokio::spawn(http::serve(listener, state, async {
        let _ = http_stopped.await;
    })));
    tracing::info!(
        addr = %http_addr,
        max_connections = http::connection_limit(crate::process::open_file_limit()),
        header_read_timeout = %humantime::format_duration(http::HEADER_READ_TIMEOUT),
        "HTTP server listening: GET /healthz, GET /metrics"
    );
    let (mut client, _tasks) = connect(
        &config,
        zoom,
        service,
        Arc::clone(&in_flight),
        metrics,
        Arc::clone(&gateway),
    )
    .await?;
    let shards = Arc::clone(&client.shard_manager);
    tokio::select! {
        result = client.start() => {
            if let Err(err) = result {
                return Err(discord::failure::Fatal::from_serenity(&err)
                    .map_or(AppError::Discord(err), AppError::Refused));
            }
        }
        fatal = gateway.fatal() => {
            // Bounded: serenity's runner waits for a close frame on a connection Discord has
            // already closed, for ever; nothing is lost by not waiting, the process ends.
            let _ = tokio::time::timeout(SHARD_STOP, shards.shutdown_all()).await;
            return Err(fatal.into());
        }
        () = shutdown_signal() => {
            gateway.disconnected("shutting down");
            tracing::info!(in_flight = in_flight.count(), "shutting down: stopping the gateway");
            shards.shutdown_all().await;
        }
    }
    let pending = in_flight.count();
    if in_flight.wait_idle(drain).await {
        tracing::info!(waited_for = pending, "in-flight commands finished");
    } else {
        tracing::warn!(
            left = in_flight.count(),
            "gave up waiting for in-flight commands"
        );
    }
    store.flush().await?;
    tracing::info!("store flushed");
    let _ = stop_http.send(());
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
        gateway = "stopped",
        commands_waited_for = pending,
        commands_left = in_flight.count(),
        store = "flushed",
        http,
        "shut down; bye"
    );
    Ok(())
}

/// The start-up facts an operator checks first.
fn log_start(config: &BotConfig, http_addr: std::net::SocketAddr) {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        zoom_host_user = %config.zoom.host_user,
        zoom_api = %config.zoom.api_base,
        dev_guild = config.discord.guild_id.map_or_else(|| "none".to_owned(), |g| g.to_string()),
        discord_api = config.discord.api_base.as_deref().unwrap_or("https://discord.com"),
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

/// Forgets meetings past their retention at start and every [`PRUNE_EVERY`].
async fn prune_forever(service: Arc<Meetings>) -> std::io::Result<()> {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    loop {
        every.tick().await;
        match service.prune().await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "forgot meetings past their retention"),
            Err(err) => tracing::warn!(error = %err, "could not prune old meeting records"),
        }
    }
}

/// The start-up checks (see `discord::startup`), then the Discord client, with the tasks that
/// hand serenity's gateway failures to `gateway`, post reminders and apply Zoom's webhook events
/// (stopped when dropped).
async fn connect(
    config: &BotConfig,
    zoom: Arc<ZoomClient>,
    service: Arc<Meetings>,
    in_flight: Arc<InFlight>,
    metrics: Arc<Metrics>,
    gateway: Arc<GatewayStatus>,
) -> Result<(serenity::Client, [AbortOnDrop; 3]), AppError> {
    // Not awaited: a slow Zoom must not hold up connecting to Discord, and a failure only logs
    // (see `check_zoom` for why the bot keeps running).
    let _zoom_check = tokio::spawn(discord::startup::check_zoom(zoom));
    let http = discord::http(&config.discord);
    discord::startup::check_discord(&http).await?;
    // Subscribed before the client exists, so its first attempt's failure is not missed.
    let reports = discord::watch::reports();
    let reports = AbortOnDrop(tokio::spawn(report_failures(reports, Arc::clone(&gateway))));
    let client = discord::client(
        &config.discord,
        http,
        Arc::clone(&service),
        in_flight,
        Arc::clone(&metrics),
        gateway,
    )
    .await?;
    if let Some(accounts) = service.accounts() {
        accounts.set_notice(Arc::new(discord::zoom::DiscordLinkNotice(
            discord::rest::Rest::new(Arc::clone(&client.http), Arc::clone(&metrics)),
        )));
    }
    let herald = Arc::new(discord::announce::DiscordHerald::new(
        discord::rest::Rest::new(Arc::clone(&client.http), Arc::clone(&metrics)),
    ));
    let teller = Arc::new(discord::effects::DiscordTeller(discord::rest::Rest::new(
        Arc::clone(&client.http),
        Arc::clone(&metrics),
    )));
    let webhooks = AbortOnDrop(tokio::spawn({
        let (service, metrics) = (Arc::clone(&service), Arc::clone(&metrics));
        async move {
            service
                .run_webhooks(teller, |pass| {
                    metrics
                        .webhook_inbox
                        .set(i64::try_from(pass.waiting()).unwrap_or(i64::MAX));
                    for (event, since) in &pass.applied {
                        // The label set stays bounded: the known types, or "other".
                        let event = crate::meetings::webhooks::KNOWN
                            .iter()
                            .find(|k| *k == event)
                            .copied()
                            .unwrap_or("other");
                        metrics.webhooks_applied.inc(&[event]);
                        let since = std::time::Duration::try_from(*since).unwrap_or_default();
                        metrics.webhook_seconds.observe(&[event], since);
                    }
                })
                .await;
            Ok(())
        }
    }));
    let reminders = AbortOnDrop(tokio::spawn(remind_forever(service, herald, metrics)));
    Ok((client, [reports, reminders, webhooks]))
}

/// Posts reminders as they fall due (see `meetings::lifecycle`), counting them in `metrics`.
async fn remind_forever(
    service: Arc<Meetings>,
    herald: Arc<discord::announce::DiscordHerald>,
    metrics: Arc<Metrics>,
) -> std::io::Result<()> {
    service
        .run_reminders(herald, |pass| {
            // Late ones were posted too: `posted` counts every reminder that reached Discord.
            for (outcome, n) in [
                ("posted", pass.posted),
                ("late", pass.late),
                ("dropped", pass.dropped),
            ] {
                if n > 0 {
                    metrics.reminders.inc_by(&[outcome], n as u64);
                }
            }
        })
        .await;
    Ok(())
}

/// Hands serenity's gateway failures, as `discord::watch` reads them from its log lines, to
/// `gateway`, which logs them and keeps the last for `/healthz`.
async fn report_failures(
    mut reports: tokio::sync::mpsc::UnboundedReceiver<discord::failure::Report>,
    gateway: Arc<GatewayStatus>,
) -> std::io::Result<()> {
    while let Some(report) = reports.recv().await {
        gateway.failed(&report);
    }
    Ok(())
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
