//! The HTTP server on `HTTP_ADDR`: `GET /healthz` for orchestrators, `GET /metrics` for
//! Prometheus; `POST /zoom/webhook` for Zoom when webhooks are configured (`webhook`);
//! `POST /discord/interactions` for Discord with `DISCORD_MODE=http` (`discord::interactions`). How
//! connections are accepted, timed out and limited is in `connections`.

mod connections;
mod oauth;
mod webhook;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::health::Health;
use crate::metrics::Metrics;

pub use connections::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS, connection_limit};
pub use webhook::{MAX_BODY, Webhooks};

/// The content type of the Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the handlers need.
#[derive(Clone)]
pub struct HttpState {
    /// Answers `/healthz`.
    pub health: Health,
    /// Rendered by `/metrics`.
    pub metrics: Arc<Metrics>,
    /// `POST /zoom/webhook`'s secret and inbox; `None`: the route does not exist (404).
    pub webhooks: Option<Webhooks>,
    /// Members' own Zoom accounts: `GET /zoom/oauth/callback`; `None`: 404.
    pub accounts: Option<Arc<crate::meetings::Accounts>>,
    /// `POST /zoom/user-webhook`: the user app's secret and its deauthorization notices.
    pub user_webhooks: Option<Webhooks>,
    /// `POST /discord/interactions` (`DISCORD_MODE=http`); `None`: 404.
    pub interactions: Option<Arc<crate::discord::interactions::Endpoint>>,
}

/// The HTTP server could not start.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot listen on HTTP_ADDR {addr}: {source}. Set HTTP_ADDR to a free address and port, \
     like 0.0.0.0:8081 (every interface) or 127.0.0.1:8081 (this machine only)."
)]
pub struct BindError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// Why it failed (in use, not an address of this machine, permission).
    #[source]
    pub source: std::io::Error,
}

/// Binds `addr`, so a bad `HTTP_ADDR` is reported before anything else starts.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BindError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| BindError { addr, source })
}

/// The routes.
pub fn router(state: HttpState) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics));
    if state.webhooks.is_some() {
        let limit = DefaultBodyLimit::max(MAX_BODY);
        router = router.route("/zoom/webhook", post(webhook::receive).layer(limit));
    }
    if state.accounts.is_some() {
        router = router.route("/zoom/oauth/callback", get(oauth::callback));
    }
    if state.user_webhooks.is_some() {
        let limit = DefaultBodyLimit::max(MAX_BODY);
        router = router.route(
            "/zoom/user-webhook",
            post(webhook::receive_user).layer(limit),
        );
    }
    if let Some(endpoint) = &state.interactions {
        let route = crate::discord::interactions::route(Arc::clone(endpoint));
        router = router.route("/discord/interactions", route);
    }
    router.with_state(state)
}

/// Serves the routes on `listener` until `shutdown` completes, to at most
/// [`connection_limit`] connections for the process's open-file limit at the time.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limit = connection_limit(crate::process::open_file_limit());
    connections::serve(listener, router(state), limit, shutdown).await
}

/// 200 "ok" when healthy; otherwise 503 with one line per reason.
async fn healthz(State(state): State<HttpState>) -> Response {
    match state.health.check().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(problems) => {
            let mut body = String::from("unhealthy\n");
            for p in problems {
                body.push_str(&p);
                body.push('\n');
            }
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

async fn metrics(State(state): State<HttpState>) -> Response {
    (
        [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::health::{FlushWatch, Gateway, watch_flushes};
    use crate::ids::{GuildId, MemberId};
    use crate::store::{
        GuildSettings, MeetingChange, MeetingRecord, MemberPrefs, MemoryStore, SettingsChange,
        Store, StoreError,
    };

    /// A gateway in a fixed state.
    struct FixedGateway(bool, &'static str);

    impl Gateway for FixedGateway {
        fn state(&self) -> std::pin::Pin<Box<dyn Future<Output = (bool, String)> + Send + '_>> {
            let state = (self.0, self.1.to_owned());
            Box::pin(async move { state })
        }
    }

    /// A store whose flush fails, never finishes, is counted, or fails only the first time; or
    /// whose reads of a meeting fail as an unreachable database's while the flag is set (and
    /// whose reads by Zoom id always find an unreadable record).
    enum BrokenStore {
        Fails,
        Hangs,
        Counts(AtomicUsize),
        FailsOnce(AtomicUsize),
        Unreachable(std::sync::atomic::AtomicBool),
    }

    #[async_trait::async_trait]
    impl Store for BrokenStore {
        async fn put_meeting(&self, _: &MeetingRecord) -> Result<(), StoreError> {
            Ok(())
        }
        async fn meeting(&self, _: GuildId, _: i64) -> Result<Option<MeetingRecord>, StoreError> {
            match self {
                Self::Unreachable(down) if down.load(Ordering::SeqCst) => Err(StoreError::Backend(
                    "PostgreSQL at postgres://db: connection refused".into(),
                )),
                _ => Ok(None),
            }
        }
        async fn guild_meetings(&self, _: GuildId) -> Result<Vec<MeetingRecord>, StoreError> {
            Ok(Vec::new())
        }
        async fn meetings_ending_after(
            &self,
            _: GuildId,
            _: jiff::Timestamp,
        ) -> Result<Vec<MeetingRecord>, StoreError> {
            Ok(Vec::new())
        }
        async fn zoom_meeting(&self, _: i64) -> Result<Option<MeetingRecord>, StoreError> {
            match self {
                Self::Unreachable(_) => Err(StoreError::Corrupt {
                    what: "meeting record",
                    detail: "Syntax error at byte column 3".into(),
                }),
                _ => Ok(None),
            }
        }
        async fn due_reminders(
            &self,
            _: jiff::Timestamp,
            _: usize,
        ) -> Result<Vec<MeetingRecord>, StoreError> {
            Ok(Vec::new())
        }
        async fn next_reminder(&self) -> Result<Option<jiff::Timestamp>, StoreError> {
            Ok(None)
        }
        async fn receive_event(
            &self,
            _: &str,
            _: &str,
            _: jiff::Timestamp,
        ) -> Result<bool, StoreError> {
            Ok(false)
        }
        async fn pending_events(
            &self,
            _: usize,
        ) -> Result<Vec<crate::store::InboxEntry>, StoreError> {
            Ok(Vec::new())
        }
        async fn applied_event(&self, _: u64) -> Result<(), StoreError> {
            Ok(())
        }
        async fn put_pending_link(
            &self,
            _: &str,
            _: &crate::store::PendingLink,
        ) -> Result<(), StoreError> {
            Ok(())
        }
        async fn take_pending_link(
            &self,
            _: &str,
        ) -> Result<Option<crate::store::PendingLink>, StoreError> {
            Ok(None)
        }
        async fn forget_pending_links(&self, _: jiff::Timestamp) -> Result<usize, StoreError> {
            Ok(0)
        }
        async fn member_link(
            &self,
            _: MemberId,
        ) -> Result<Option<crate::store::MemberLink>, StoreError> {
            Ok(None)
        }
        async fn put_member_link(&self, _: &crate::store::MemberLink) -> Result<(), StoreError> {
            Ok(())
        }
        async fn put_unfinished(&self, _: &crate::store::Unfinished) -> Result<(), StoreError> {
            Ok(())
        }
        async fn unfinished(&self) -> Result<Vec<crate::store::Unfinished>, StoreError> {
            Ok(Vec::new())
        }
        async fn claim_unfinished(&self, _: u64, _: &str, _: &str) -> Result<bool, StoreError> {
            Ok(false)
        }
        async fn finish_unfinished(&self, _: u64) -> Result<(), StoreError> {
            Ok(())
        }
        async fn delete_member_link(
            &self,
            _: MemberId,
        ) -> Result<Option<crate::store::MemberLink>, StoreError> {
            Ok(None)
        }
        async fn zoom_user_links(
            &self,
            _: &str,
        ) -> Result<Vec<crate::store::MemberLink>, StoreError> {
            Ok(Vec::new())
        }
        async fn forget_event_keys(&self, _: jiff::Timestamp) -> Result<usize, StoreError> {
            Ok(0)
        }
        async fn prune_meetings(&self, _: jiff::Timestamp) -> Result<usize, StoreError> {
            Ok(0)
        }
        async fn take_daily(
            &self,
            _: &str,
            _: jiff::civil::Date,
            _: u32,
        ) -> Result<bool, StoreError> {
            Ok(true)
        }
        async fn give_back_daily(&self, _: &str, _: jiff::civil::Date) -> Result<(), StoreError> {
            Ok(())
        }
        async fn update_meeting(
            &self,
            _: GuildId,
            _: i64,
            _: &MeetingChange,
        ) -> Result<Option<MeetingRecord>, StoreError> {
            Ok(None)
        }
        async fn guild_settings(&self, _: GuildId) -> Result<GuildSettings, StoreError> {
            Ok(GuildSettings::default())
        }
        async fn update_guild_settings(
            &self,
            _: GuildId,
            _: SettingsChange<'_>,
        ) -> Result<GuildSettings, StoreError> {
            Ok(GuildSettings::default())
        }
        async fn member_prefs(&self, _: MemberId) -> Result<MemberPrefs, StoreError> {
            Ok(MemberPrefs::default())
        }
        async fn set_member_timezone(
            &self,
            _: MemberId,
            _: Option<&str>,
        ) -> Result<MemberPrefs, StoreError> {
            Ok(MemberPrefs::default())
        }
        fn coordination(&self) -> &dyn crate::store::Coordination {
            static LOCAL: std::sync::LazyLock<crate::store::transient::Transient> =
                std::sync::LazyLock::new(Default::default);
            &*LOCAL
        }
        async fn flush(&self) -> Result<(), StoreError> {
            match self {
                Self::Hangs => std::future::pending().await,
                Self::Fails => Err(StoreError::Backend("disk full".to_owned())),
                Self::Counts(n) => {
                    n.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
                Self::FailsOnce(n) if n.fetch_add(1, Ordering::SeqCst) == 0 => {
                    Err(StoreError::Backend("disk full".to_owned()))
                }
                Self::FailsOnce(_) | Self::Unreachable(_) => Ok(()),
            }
        }
    }

    /// Serves health from `gateway` and the flushes seen by `flushes` on a loopback port; its
    /// address.
    async fn serve_health(gateway: FixedGateway, flushes: Arc<FlushWatch>) -> SocketAddr {
        let state = HttpState {
            health: Health::new(Arc::new(gateway), flushes)
                .with_store_timeout(Duration::from_millis(100)),
            metrics: Arc::new(Metrics::new()),
            webhooks: None,
            accounts: None,
            user_webhooks: None,
            interactions: None,
        };
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, state, std::future::pending()));
        addr
    }

    /// `GET /healthz` at `addr`: status and body.
    async fn get_healthz(addr: SocketAddr) -> (u16, String) {
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// `GET /healthz` once `store` has flushed, as a command's write does.
    async fn healthz_of(gateway: FixedGateway, store: Arc<dyn Store>) -> (u16, String) {
        let (store, flushes) = watch_flushes(store);
        let _ = store.flush().await;
        get_healthz(serve_health(gateway, flushes).await).await
    }

    fn connected() -> FixedGateway {
        FixedGateway(true, "connected")
    }

    #[tokio::test]
    async fn healthy_when_the_gateway_is_connected_and_the_store_answers() {
        let (status, body) = healthz_of(connected(), Arc::new(MemoryStore::new())).await;
        assert_eq!((status, body.as_str()), (200, "ok\n"));
    }

    #[tokio::test]
    async fn healthz_never_flushes_the_store() {
        let store = Arc::new(BrokenStore::Counts(AtomicUsize::new(0)));
        let (_, flushes) = watch_flushes(Arc::clone(&store) as Arc<dyn Store>);
        let addr = serve_health(connected(), flushes).await;

        for _ in 0..3 {
            assert_eq!(get_healthz(addr).await, (200, "ok\n".to_owned()));
        }

        let BrokenStore::Counts(calls) = &*store else {
            unreachable!()
        };
        assert_eq!(calls.load(Ordering::SeqCst), 0, "a probe flushed the store");
    }

    #[tokio::test]
    async fn unhealthy_before_the_gateway_connects_and_says_so() {
        let gateway = FixedGateway(false, "not connected yet");
        let (status, body) = healthz_of(gateway, Arc::new(MemoryStore::new())).await;
        assert_eq!(status, 503);
        assert_eq!(body, "unhealthy\nDiscord gateway: not connected yet\n");
    }

    #[tokio::test]
    async fn unhealthy_while_the_gateway_resumes() {
        let gateway = FixedGateway(false, "resuming");
        let (status, body) = healthz_of(gateway, Arc::new(MemoryStore::new())).await;
        assert_eq!(status, 503);
        assert!(body.contains("Discord gateway: resuming"), "{body}");
    }

    #[tokio::test]
    async fn unhealthy_when_the_last_flush_failed_with_its_error() {
        let (status, body) = healthz_of(connected(), Arc::new(BrokenStore::Fails)).await;
        assert_eq!(status, 503);
        assert!(
            body.contains("store: the bot's data store failed: disk full"),
            "{body}"
        );
        assert!(!body.contains("gateway"), "{body}");
    }

    #[tokio::test]
    async fn healthy_again_once_a_flush_succeeds_after_a_failed_one() {
        let (store, flushes) = watch_flushes(Arc::new(BrokenStore::FailsOnce(AtomicUsize::new(0))));
        let addr = serve_health(connected(), flushes).await;
        assert!(store.flush().await.is_err());
        assert_eq!(get_healthz(addr).await.0, 503);

        store.flush().await.unwrap();

        assert_eq!(get_healthz(addr).await, (200, "ok\n".to_owned()));
    }

    #[tokio::test]
    async fn unhealthy_while_the_backend_fails_operations_and_not_for_one_unreadable_record() {
        let broken = Arc::new(BrokenStore::Unreachable(true.into()));
        let (store, flushes) = watch_flushes(Arc::clone(&broken) as Arc<dyn Store>);
        let addr = serve_health(connected(), flushes).await;
        assert!(store.zoom_meeting(1).await.is_err());
        assert_eq!(get_healthz(addr).await.0, 200, "one record's problem");

        assert!(store.meeting(GuildId(1), 1).await.is_err());
        let (status, body) = get_healthz(addr).await;
        assert_eq!(status, 503);
        assert!(
            body.contains("store: the bot's data store failed: PostgreSQL"),
            "{body}"
        );

        if let BrokenStore::Unreachable(down) = &*broken {
            down.store(false, Ordering::SeqCst);
        }
        store.meeting(GuildId(1), 1).await.unwrap();
        assert_eq!(get_healthz(addr).await, (200, "ok\n".to_owned()));
    }

    #[tokio::test]
    async fn unhealthy_when_a_flush_does_not_finish_in_time() {
        let (store, flushes) = watch_flushes(Arc::new(BrokenStore::Hangs));
        let addr = serve_health(connected(), flushes).await;
        let stuck = tokio::spawn(async move { store.flush().await });

        // The flush is stuck once it has been under way longer than the 100 ms timeout.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let body = loop {
            let (status, body) = get_healthz(addr).await;
            if status == 503 {
                break body;
            }
            assert!(tokio::time::Instant::now() < deadline, "still {status}");
            tokio::task::yield_now().await;
        };
        assert!(
            body.contains("store: a write has not reached the disk within 100ms"),
            "{body}"
        );
        stuck.abort();
    }

    #[tokio::test]
    async fn every_reason_is_listed_when_several_checks_fail() {
        let gateway = FixedGateway(false, "connecting");
        let (status, body) = healthz_of(gateway, Arc::new(BrokenStore::Fails)).await;
        assert_eq!(status, 503);
        assert_eq!(body.lines().count(), 3, "{body}");
    }

    #[tokio::test]
    async fn without_a_gateway_health_is_the_store_s_alone() {
        let (store, flushes) = watch_flushes(Arc::new(BrokenStore::FailsOnce(AtomicUsize::new(0))));
        let health = Health::new(Arc::new(crate::health::NoGateway), flushes);
        assert_eq!(health.check().await, Ok(()));
        assert!(store.flush().await.is_err());

        let problems = health.check().await.unwrap_err();

        assert_eq!(problems, ["store: the bot's data store failed: disk full"]);
        store.flush().await.unwrap();
        assert_eq!(health.check().await, Ok(()));
    }

    #[tokio::test]
    async fn binding_a_taken_address_names_http_addr() {
        let taken = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let addr = taken.local_addr().unwrap();
        let err = bind(addr).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("cannot listen on HTTP_ADDR {addr}: ")),
            "{text}"
        );
        assert!(text.contains("Set HTTP_ADDR"), "{text}");
    }
}
