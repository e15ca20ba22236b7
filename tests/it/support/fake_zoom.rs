//! A fake Zoom: the Server-to-Server OAuth token endpoint plus the Meetings endpoints zoombot uses,
//! shaped after Zoom's Meetings spec in `../shared/specs/zoom` (where the fake and the spec
//! disagree, the spec wins; where the spec is silent, Zoom's published docs and observed behaviour).
//!
//! Order in which an API (`/v2/...`) request meets the switches — the order a request meets
//! Zoom's edge, gateway and backend:
//! 1. recorded (if recording is on), so tests see every attempt, failed ones included;
//! 2. `set_latency` — network time, paid by every response (token endpoint and errors too);
//! 3. `slow_next` — a slow edge: the request waits before anything looks at it;
//! 4. `fail_next` — an outage at the edge: 5xx before authentication, nothing done; then a random
//!    edge 5xx of `set_fault_rate` (every API request draws its random fault, if any, on arrival,
//!    and meets it at the step where Zoom would produce it: here, at 6 or at 7);
//! 5. authentication (401 code 124), then route (404) and scope (400 code 4711) — the gateway;
//! 6. `rate_limit_next`, then a random per-second 429 — rate limits are counted per account, so
//!    only after authentication; a request answered 401 does not use up a 429;
//! 7. the handler: user/meeting lookup, `fail_next_creates` (else a random create failure),
//!    validation (400 code 300), the daily create/update limit per host (429 `Daily-limit`), then
//!    the work itself.
//!
//! Deliberate choices where the spec decides against habit (see the selftest):
//! - The `POST /users/{userId}/meetings` response carries exactly the spec's keys: no `uuid`,
//!   `host_id` or `status` (those come from `GET /meetings/{meetingId}`).
//! - `X-RateLimit-Category` is the endpoint's spec label: create and list are `Medium`,
//!   get, update and delete are `Light`.
//! - Passcodes: create accepts any printable ASCII without spaces ("special characters such as
//!   !, @, #"), update only `[A-Za-z0-9@-_*]` — each as its own operation documents.
//! - `page_size` above the spec's maximum of 300 is a validation error, not clamped.
//! - Recurring meetings with a fixed time (type 8): `recurrence` is required (else 300) and checked
//!   by its schema and descriptions; `occurrences` are laid out from the start's wall-clock time in
//!   the meeting's `timezone`, each `occurrence_id` its start in epoch milliseconds (kept when
//!   one occurrence is moved). `GET` lists those not over yet unless `show_previous_occurrences`;
//!   `DELETE ?occurrence_id` marks one `deleted` (a second time, or an unknown id, is 300
//!   `"Invalid parameter: occurrence_id."`). A PATCH that moves the series needs its
//!   `recurrence` (the spec: "required ... when updating the entire series"), and a start in the
//!   past is ignored for a series, as the spec says. Where Zoom is silent the fake guesses, and
//!   says so: a `monthly_day` a month lacks is its last day; `end_times` 0 lists 60.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::serve::ListenerExt;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::tz::TimeZone;
use jiff::{Timestamp, civil};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

// A path relative to this file, so the examples that include this file by `#[path]` find it too.
#[path = "fake_zoom/user_oauth.rs"]
mod user_oauth;

/// A running fake Zoom; the server stops when this is dropped.
pub struct FakeZoom {
    url: String,
    inner: Arc<Inner>,
    task: JoinHandle<()>,
}

/// What the token endpoint does instead of issuing a token, until cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenFailure {
    /// 401 `{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`.
    InvalidClient,
    /// 400 `{"reason":"Invalid account_id","error":"invalid_request"}`.
    InvalidAccount,
    /// The app is not activated (or was deactivated) in the Marketplace: 400
    /// `{"reason":"The app has been disabled","error":"invalid_client"}` — Zoom's OAuth error 4717
    /// wording; the status is a best guess, Zoom does not document it.
    NotActivated,
    /// 503 with an empty body: the OAuth service is down.
    Down,
}

/// Which of Zoom's rate limits a 429 reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLimit {
    /// Per-second (QPS) limit: `Retry-After: <secs>`, `X-RateLimit-Type: QPS`.
    PerSecond { retry_after_secs: u64 },
    /// Daily create/update limit per host: `Retry-After` is the next 00:00 UTC,
    /// `X-RateLimit-Type: Daily-limit`.
    Daily,
}

/// How the next create requests fail.
#[allow(clippy::enum_variant_names)] // read as "fail before / after the create"
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateFailure {
    /// Answer this status; nothing is created.
    BeforeCreate(u16),
    /// The meeting IS created, then this status is answered.
    AfterCreate(u16),
    /// The meeting is created and the 201 is held back this long (the client times out).
    SlowAfterCreate(Duration),
}

/// The random faults of `set_fault_rate` that were answered, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Creates answered 500 before anything was created.
    pub create_error_before: usize,
    /// Creates answered 500 after the meeting was created.
    pub create_error_after: usize,
    /// Creates whose 201 was held back past the client's timeout (the meeting exists).
    pub create_held: usize,
    /// Other requests answered 500 or 503 at the edge (nothing done).
    pub server_errors: usize,
    /// Requests answered a per-second 429 (nothing done).
    pub rate_limited: usize,
}

impl FaultCounts {
    /// Every random fault answered.
    pub fn total(&self) -> usize {
        self.create_error_before
            + self.create_error_after
            + self.create_held
            + self.server_errors
            + self.rate_limited
    }
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The query string, if any (`occurrence_id=…`).
    pub query: Option<String>,
    pub authorization: Option<String>,
    /// JSON bodies as parsed; form bodies as an object of their fields; anything else that is
    /// not empty as a JSON string of its (lossy UTF-8) text.
    pub body: Option<Value>,
}

impl FakeZoom {
    pub const CLIENT_ID: &str = "test-client";
    pub const CLIENT_SECRET: &str = "test-secret";
    pub const ACCOUNT_ID: &str = "test-account";
    /// The user every fake starts with; `me` resolves to it.
    pub const DEFAULT_USER_ID: &str = "host-user-1";
    pub const DEFAULT_USER_EMAIL: &str = "host@example.com";
    /// Scopes granted by default: granular admin scopes for meeting CRUD, listing and user read.
    pub const DEFAULT_SCOPES: &str = "meeting:delete:meeting:admin meeting:read:list_meetings:admin \
         meeting:read:meeting:admin meeting:update:meeting:admin meeting:write:meeting:admin \
         user:read:user:admin";

    /// Starts a fake on a random port of 127.0.0.1.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> FakeZoom {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a fake on `addr`.
    ///
    /// # Panics
    /// When `addr` cannot be bound.
    pub async fn start_on(addr: SocketAddr) -> FakeZoom {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("fake zoom: cannot bind {addr}: {e}"));
        let local = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake zoom: no local address: {e}"));
        let url = format!("http://{local}");
        let inner = Arc::new(Inner::new(url.clone()));
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&inner));
        // Small JSON answers: without NODELAY, Nagle + delayed ACK can add 40 ms to a response.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeZoom { url, inner, task }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The REST base, `url() + "/v2"`.
    pub fn api_base(&self) -> String {
        format!("{}/v2", self.url)
    }

    /// The token endpoint, `url() + "/oauth/token"`.
    pub fn oauth_url(&self) -> String {
        format!("{}/oauth/token", self.url)
    }

    /// The variables that point the real binary at this fake, with the credentials it accepts.
    pub fn bot_env(&self) -> [(&'static str, String); 5] {
        [
            ("ZOOM_ACCOUNT_ID", Self::ACCOUNT_ID.to_owned()),
            ("ZOOM_CLIENT_ID", Self::CLIENT_ID.to_owned()),
            ("ZOOM_CLIENT_SECRET", Self::CLIENT_SECRET.to_owned()),
            ("ZOOM_API_BASE", self.api_base()),
            ("ZOOM_OAUTH_URL", self.oauth_url()),
        ]
    }

    // ---- switches -------------------------------------------------------------------------

    /// Delay added to every response, the token endpoint's too.
    pub fn set_latency(&self, d: Duration) {
        self.inner
            .latency_ns
            .store(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    /// `expires_in` of tokens issued from now on (default 3599); expired tokens get 401 code 124.
    pub fn set_token_ttl(&self, secs: u64) {
        self.inner.token_ttl.store(secs, Relaxed);
    }

    /// Every token issued so far becomes invalid (401 `{"code":124,"message":"Invalid access token."}`).
    pub fn revoke_tokens(&self) {
        write(&self.inner.tokens).clear();
    }

    /// Every token issued so far expires now (401 `{"code":124,"message":"Access token is expired."}`).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for token in write(&self.inner.tokens).values_mut() {
            token.expires_at = token.expires_at.min(now);
        }
    }

    /// The token endpoint fails this way until cleared with `None`.
    pub fn set_token_failure(&self, f: Option<TokenFailure>) {
        *lock(&self.inner.token_failure) = f;
    }

    /// The `scope` of tokens issued from now on (space separated); API calls check it.
    pub fn set_scopes(&self, scopes: &str) {
        *write(&self.inner.scopes) = Arc::from(scopes);
    }

    /// The next `n` authenticated API requests answer 429 of this kind.
    pub fn rate_limit_next(&self, n: usize, kind: RateLimit) {
        lock(&self.inner.faults).rate = (n, kind);
    }

    /// Per host user and UTC day: creates + updates beyond `n` answer the daily 429.
    pub fn set_daily_create_limit(&self, n: Option<usize>) {
        lock(&self.inner.store).daily_limit = n;
    }

    /// The next `n` create requests fail this way.
    pub fn fail_next_creates(&self, n: usize, f: CreateFailure) {
        lock(&self.inner.faults).creates = (n, f);
    }

    /// The next `n` API requests answer `status` with `{"code":status,"message":...}`; nothing done.
    pub fn fail_next(&self, n: usize, status: u16) {
        lock(&self.inner.faults).fail = (n, status);
    }

    /// The next `n` API requests wait `d` before being handled.
    pub fn slow_next(&self, n: usize, d: Duration) {
        lock(&self.inner.faults).slow = (n, d);
    }

    /// From now on `per_mille` of API requests (not token requests) fail at random, the way
    /// Zoom's edge and backend fail under load; 0 turns it off. The mix, in shares of the faults:
    ///
    /// - `POST /users/{userId}/meetings`: 30% 500 before creating (nothing exists); 30% 500 after
    ///   creating (the meeting exists: what a client must adopt, not duplicate); 15% the meeting
    ///   is created and the 201 held back `hold` — make it longer than the client's request
    ///   timeout, so the client sees a timeout; 25% a per-second 429 with `Retry-After: 1`.
    /// - any other API request: 35% 500, 35% 503, both at the edge before anything is done;
    ///   30% a per-second 429 with `Retry-After: 1`.
    ///
    /// Bodies and headers are those of the counted switches (`fail_next`, `fail_next_creates`,
    /// `rate_limit_next`). The draws come from their own generator with a fixed seed, so the
    /// first n API requests of any run draw the same n numbers: the count of faults among them
    /// is the same in every run, whatever order concurrent requests arrive in.
    pub fn set_fault_rate(&self, per_mille: u32, hold: Duration) {
        *lock(&self.inner.random_faults) = (per_mille.min(1000), hold);
    }

    /// From now on `per_mille` of creates are answered 500 before anything is made (from the
    /// same fixed-seed generator as `set_fault_rate`, and counted with its faults): the failure
    /// a client may safely answer with a resend once its check shows nothing was made.
    pub fn set_create_500_rate(&self, per_mille: u32) {
        self.inner
            .create_500_rate
            .store(u64::from(per_mille.min(1000)), Relaxed);
    }

    /// The random faults answered so far, by kind.
    pub fn fault_counts(&self) -> FaultCounts {
        let c = &self.inner.fault_counts;
        FaultCounts {
            create_error_before: c[0].load(Relaxed),
            create_error_after: c[1].load(Relaxed),
            create_held: c[2].load(Relaxed),
            server_errors: c[3].load(Relaxed),
            rate_limited: c[4].load(Relaxed),
        }
    }

    /// Whether requests are recorded (default on; the load mock turns it off).
    pub fn set_recording(&self, on: bool) {
        self.inner.recording.store(on, Relaxed);
    }

    /// Adds a known user (timezone `America/Los_Angeles`, the spec's example).
    pub fn add_user(&self, id: &str, email: &str) {
        let user = User::new(&self.inner, id, email);
        write(&self.inner.users).push(Arc::new(user));
    }

    /// Sets a user's timezone (default `America/Los_Angeles`): meetings created without a
    /// `timezone` get it, and a local `start_time` is read in it.
    pub fn set_user_timezone(&self, id: &str, timezone: &str) {
        let mut users = write(&self.inner.users);
        if let Some(user) = users.iter_mut().find(|u| &*u.id == id) {
            let mut changed = User::clone(user);
            changed.timezone = Arc::from(timezone);
            *user = Arc::new(changed);
        }
    }

    /// A valid token, issued without going through the token endpoint (not counted).
    pub fn issue_token(&self) -> String {
        self.inner.issue_token()
    }

    // ---- observations ---------------------------------------------------------------------

    /// Requests to the token endpoint so far, failed ones included.
    pub fn token_requests(&self) -> usize {
        self.inner.token_requests.load(Relaxed)
    }

    /// Current meetings, full objects as `GET /meetings/{id}` shows them, oldest first. Read
    /// from the fake's state, so it works with recording off too.
    pub fn meetings(&self) -> Vec<Value> {
        let store = lock(&self.inner.store);
        let mut all: Vec<&Meeting> = store.meetings.values().collect();
        all.sort_by_key(|m| m.seq);
        all.iter()
            .map(|m| m.view(View::Full, &self.inner.settings_defaults, "zak"))
            .collect()
    }

    /// One meeting as `GET /meetings/{id}` shows it.
    pub fn meeting(&self, id: i64) -> Option<Value> {
        let store = lock(&self.inner.store);
        store
            .meetings
            .get(&id)
            .map(|m| m.view(View::Full, &self.inner.settings_defaults, "zak"))
    }

    /// Meetings that exist now (created and not deleted).
    pub fn meeting_count(&self) -> usize {
        lock(&self.inner.store).meetings.len()
    }

    /// Meetings created so far, deleted ones included.
    pub fn meetings_created(&self) -> usize {
        self.inner.meetings_created.load(Relaxed)
    }

    /// Forgets every meeting and gives the next ones the numbers of the forgotten ones, oldest
    /// first, as a Zoom that deleted its old meetings and reuses their numbers would (Zoom does
    /// reuse numbers of meetings long gone). Tokens, users and switches stay.
    pub fn reuse_meeting_numbers(&self) {
        let mut store = lock(&self.inner.store);
        if let Some(first) = store.meetings.values().map(|m| m.seq).min() {
            self.inner.seq.store(first, Relaxed);
        }
        store.meetings.clear();
        store.by_host.clear();
    }

    /// Every request so far, in order of arrival (while recording is on).
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner.requests).clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.inner.requests).clear();
    }
}

impl Drop for FakeZoom {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---- state ------------------------------------------------------------------------------------

struct Inner {
    url: String,
    latency_ns: AtomicU64,
    token_ttl: AtomicU64,
    recording: AtomicBool,
    token_requests: AtomicUsize,
    meetings_created: AtomicUsize,
    token_failure: Mutex<Option<TokenFailure>>,
    scopes: RwLock<Arc<str>>,
    tokens: RwLock<HashMap<String, TokenInfo>>,
    faults: Mutex<Faults>,
    users: RwLock<Vec<Arc<User>>>,
    store: Mutex<Store>,
    requests: Mutex<Vec<Recorded>>,
    rng: Mutex<fastrand::Rng>,
    /// The random faults' own generator, seeded with a constant: see `set_fault_rate`.
    fault_rng: Mutex<fastrand::Rng>,
    /// `set_fault_rate`: per mille of API requests, and how long a held create waits.
    random_faults: Mutex<(u32, Duration)>,
    /// `FaultCounts`, in its field order.
    fault_counts: [AtomicUsize; 5],
    /// `set_create_500_rate`: per mille of creates answered 500 before anything is made.
    create_500_rate: AtomicU64,
    seq: AtomicU64,
    settings_defaults: Map<String, Value>,
    /// The user-level OAuth app (authorization code with PKCE): see `user_oauth`.
    user_oauth: user_oauth::UserOAuth,
}

/// A random fault drawn for one API request (see `FakeZoom::set_fault_rate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// 500 or 503 at the edge, before authentication.
    Edge(u16),
    /// A per-second 429, after authentication.
    RateLimited,
    /// A create fails this way, in the handler.
    Create(CreateFailure),
}

/// Indexes of `Inner::fault_counts`.
const COUNT_CREATE_BEFORE: usize = 0;
const COUNT_CREATE_AFTER: usize = 1;
const COUNT_CREATE_HELD: usize = 2;
const COUNT_EDGE: usize = 3;
const COUNT_RATE: usize = 4;

struct TokenInfo {
    expires_at: Instant,
    scopes: Arc<str>,
    /// The user a user-level token acts as; `None` for the account's S2S tokens.
    user: Option<Arc<str>>,
}

struct Faults {
    slow: (usize, Duration),
    fail: (usize, u16),
    rate: (usize, RateLimit),
    creates: (usize, CreateFailure),
}

#[derive(Default)]
struct Store {
    meetings: HashMap<i64, Meeting>,
    /// Per host: (start second or `i64::MAX`, id), the order of the list endpoint.
    by_host: HashMap<Arc<str>, BTreeSet<(i64, i64)>>,
    daily_limit: Option<usize>,
    /// Per host: the UTC day and the creates + updates on it.
    daily: HashMap<Arc<str>, (civil::Date, usize)>,
}

#[derive(Clone)]
struct User {
    id: Arc<str>,
    email: Arc<str>,
    first_name: String,
    last_name: String,
    timezone: Arc<str>,
    pmi: i64,
    created_at: i64,
}

struct Meeting {
    seq: u64,
    id: i64,
    /// Stored as bytes, shown in base64: one allocation less per meeting.
    uuid: [u8; 16],
    host_id: Arc<str>,
    host_email: Arc<str>,
    topic: String,
    kind: i64,
    start: Option<i64>,
    duration: i64,
    timezone: Arc<str>,
    agenda: String,
    created_at: i64,
    password: String,
    encrypted_password: String,
    numeric_password: String,
    pre_schedule: bool,
    /// Only the settings the client set; the defaults are filled in on output.
    settings: Map<String, Value>,
    tracking_fields: Option<Value>,
    /// Type 8 only.
    recurrence: Option<Recurrence>,
    /// Type 8 only: every occurrence, deleted ones included, in order.
    occurrences: Vec<Occurrence>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

fn now_secs() -> i64 {
    Timestamp::now().as_second()
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the way Zoom writes instants.
fn iso(secs: i64) -> String {
    Timestamp::from_second(secs).map_or_else(|_| String::new(), |t| t.to_string())
}

impl Inner {
    fn new(url: String) -> Inner {
        // Seeded afresh: two fakes in one test process hand out different ids and secrets.
        let mut rng = fastrand::Rng::new();
        let seq = rng.u64(..1_000_000_007);
        let inner = Inner {
            url,
            latency_ns: AtomicU64::new(0),
            token_ttl: AtomicU64::new(3599),
            recording: AtomicBool::new(true),
            token_requests: AtomicUsize::new(0),
            meetings_created: AtomicUsize::new(0),
            token_failure: Mutex::new(None),
            scopes: RwLock::new(Arc::from(FakeZoom::DEFAULT_SCOPES)),
            tokens: RwLock::new(HashMap::new()),
            faults: Mutex::new(Faults {
                slow: (0, Duration::ZERO),
                fail: (0, 500),
                rate: (0, RateLimit::Daily),
                creates: (0, CreateFailure::BeforeCreate(500)),
            }),
            users: RwLock::new(Vec::new()),
            store: Mutex::new(Store::default()),
            requests: Mutex::new(Vec::new()),
            rng: Mutex::new(rng),
            fault_rng: Mutex::new(fastrand::Rng::with_seed(0x5EED_FA17_0000_0001)),
            random_faults: Mutex::new((0, Duration::ZERO)),
            fault_counts: Default::default(),
            create_500_rate: AtomicU64::new(0),
            // Random start: two fakes in one test process hand out different meeting ids.
            seq: AtomicU64::new(seq),
            settings_defaults: settings_defaults(),
            user_oauth: user_oauth::UserOAuth::default(),
        };
        let user = User::new(
            &inner,
            FakeZoom::DEFAULT_USER_ID,
            FakeZoom::DEFAULT_USER_EMAIL,
        );
        write(&inner.users).push(Arc::new(user));
        inner
    }

    fn random(&self) -> u64 {
        lock(&self.rng).u64(..)
    }

    /// The random fault of an API request to `endpoint` (`None` when it does not route), if it
    /// draws one.
    fn draw_fault(&self, endpoint: Option<Endpoint>) -> Option<Fault> {
        let create_500 = self.create_500_rate.load(Relaxed);
        if create_500 > 0 && endpoint == Some(Endpoint::Create) {
            let r = lock(&self.fault_rng).u64(..);
            if r % 1000 < create_500 {
                return Some(Fault::Create(CreateFailure::BeforeCreate(500)));
            }
        }
        let (per_mille, hold) = *lock(&self.random_faults);
        if per_mille == 0 {
            return None;
        }
        let r = lock(&self.fault_rng).u64(..);
        if r % 1000 >= u64::from(per_mille) {
            return None;
        }
        // The kind from other bits than the decision, so the two are independent.
        let share = (r >> 32) % 100;
        Some(if endpoint == Some(Endpoint::Create) {
            match share {
                0..30 => Fault::Create(CreateFailure::BeforeCreate(500)),
                30..60 => Fault::Create(CreateFailure::AfterCreate(500)),
                60..75 => Fault::Create(CreateFailure::SlowAfterCreate(hold)),
                _ => Fault::RateLimited,
            }
        } else {
            match share {
                0..35 => Fault::Edge(500),
                35..70 => Fault::Edge(503),
                _ => Fault::RateLimited,
            }
        })
    }

    fn count_fault(&self, index: usize) {
        self.fault_counts[index].fetch_add(1, Relaxed);
    }

    fn alnum(&self, n: usize) -> String {
        let mut rng = lock(&self.rng);
        std::iter::repeat_with(|| rng.alphanumeric())
            .take(n)
            .collect()
    }

    fn digits(&self, n: usize) -> String {
        let mut rng = lock(&self.rng);
        std::iter::repeat_with(|| rng.digit(10)).take(n).collect()
    }

    /// 11 digits like Zoom's: a bijection of a counter onto [10^10, 10^11), so unique and
    /// random-looking.
    fn next_meeting_id(&self) -> (u64, i64) {
        const SPAN: u128 = 89_999_999_999;
        let seq = self.seq.fetch_add(1, Relaxed);
        let scrambled = (u128::from(seq) * 6_364_136_223) % SPAN;
        let id = 10_000_000_000 + i64::try_from(scrambled).unwrap_or_default();
        (seq, id)
    }

    /// 16 random bytes; shown in standard base64 like Zoom's meeting UUIDs (`+`, `/` included).
    fn uuid(&self) -> [u8; 16] {
        lock(&self.rng).u128(..).to_le_bytes()
    }

    fn zak(&self) -> String {
        format!(
            "eyJ6bV9za20iOiJ6bV9vMm0ifQ.{}.{}",
            self.alnum(96),
            self.alnum(43)
        )
    }

    fn issue_token(&self) -> String {
        let ttl = Duration::from_secs(self.token_ttl.load(Relaxed));
        let scopes = Arc::clone(&read(&self.scopes));
        self.issue_token_as(ttl, scopes, None)
    }

    /// A new access token with this lifetime and scopes, acting as `user` when `Some`.
    fn issue_token_as(&self, ttl: Duration, scopes: Arc<str>, user: Option<Arc<str>>) -> String {
        let token = self.token_string();
        write(&self.tokens).insert(
            token.clone(),
            TokenInfo {
                expires_at: Instant::now() + ttl,
                scopes,
                user,
            },
        );
        token
    }

    /// A unique JWT-looking string, the shape of Zoom's tokens.
    fn token_string(&self) -> String {
        let serial = self.seq.fetch_add(1, Relaxed);
        format!(
            "eyJzdiI6IjAwMDAwMiIsImFsZyI6IkhTNTEyIiwidiI6IjIuMCJ9.{serial:x}{}.{}",
            self.alnum(120),
            self.alnum(86)
        )
    }

    fn find_user(&self, key: &str) -> Option<Arc<User>> {
        let users = read(&self.users);
        if key == "me" {
            return users.first().cloned();
        }
        users
            .iter()
            .find(|u| &*u.id == key || u.email.eq_ignore_ascii_case(key))
            .cloned()
    }

    fn record(&self, parts: &Parts, body: &Bytes) {
        let text = |name: header::HeaderName| {
            parts
                .headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let content_type = text(header::CONTENT_TYPE);
        let body = if body.is_empty() {
            None
        } else if let Ok(value) = serde_json::from_slice::<Value>(body) {
            Some(value)
        } else if content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            let fields = form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            Some(Value::Object(fields))
        } else {
            Some(Value::String(String::from_utf8_lossy(body).into_owned()))
        };
        let recorded = Recorded {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            authorization: text(header::AUTHORIZATION),
            body,
        };
        lock(&self.requests).push(recorded);
    }
}

impl User {
    fn new(inner: &Inner, id: &str, email: &str) -> User {
        let local = email.split('@').next().unwrap_or(email);
        let mut first_name: String = local.chars().take(1).flat_map(char::to_uppercase).collect();
        first_name.extend(local.chars().skip(1));
        let pmi = 1_000_000_000 + i64::try_from(inner.random() % 8_999_999_999).unwrap_or_default();
        User {
            id: Arc::from(id),
            email: Arc::from(email),
            first_name,
            last_name: "User".to_owned(),
            timezone: Arc::from("America/Los_Angeles"),
            pmi,
            created_at: now_secs() - 86_400 * 30,
        }
    }

    /// `GET /users/{userId}` — not in the Meetings spec; the shape of Zoom's Users API docs.
    fn view(&self) -> Value {
        let created = iso(self.created_at);
        json!({
            "id": &*self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": format!("{} {}", self.first_name, self.last_name),
            "email": &*self.email,
            "type": 2,
            "role_name": "Owner",
            "pmi": self.pmi,
            "use_pmi": false,
            "personal_meeting_url": format!("https://zoom.us/j/{}", self.pmi),
            "timezone": &*self.timezone,
            "verified": 1,
            "dept": "",
            "created_at": created,
            "user_created_at": created,
            "last_login_time": created,
            "last_client_version": "6.0.0.00000(mac)",
            "language": "en-US",
            "phone_number": "",
            "status": "active",
            "role_id": "0",
            "account_id": FakeZoom::ACCOUNT_ID,
            "account_number": 1_234_567_890,
            "cluster": "us06",
            "group_ids": [],
            "im_group_ids": [],
            "login_types": [100],
            "jid": format!("{}@xmpp.zoom.us", self.id.to_lowercase()),
        })
    }
}

// ---- HTTP plumbing ----------------------------------------------------------------------------

const JSON_UTF8: &str = "application/json;charset=UTF-8";

fn respond(status: StatusCode, body: &Value) -> Response {
    // Serialising a `Value` cannot fail (its keys are strings).
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    resp
}

fn empty(status: StatusCode) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp
}

fn status_of(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn zoom_error(status: StatusCode, code: i64, message: &str) -> Response {
    respond(status, &json!({ "code": code, "message": message }))
}

fn server_error(code: u16) -> Response {
    let status = status_of(code);
    let message = status.canonical_reason().unwrap_or("Server Error");
    zoom_error(status, i64::from(code), message)
}

fn invalid_token(expired: bool) -> Response {
    let message = if expired {
        "Access token is expired."
    } else {
        "Invalid access token."
    };
    zoom_error(StatusCode::UNAUTHORIZED, 124, message)
}

fn user_not_found(user: &str) -> Response {
    zoom_error(
        StatusCode::NOT_FOUND,
        1001,
        &format!("User does not exist: {user}."),
    )
}

fn meeting_not_found(id: &str) -> Response {
    zoom_error(
        StatusCode::NOT_FOUND,
        3001,
        &format!("Meeting does not exist: {id}."),
    )
}

fn invalid_json() -> Response {
    zoom_error(
        StatusCode::BAD_REQUEST,
        300,
        "Request Body should be a valid JSON object.",
    )
}

fn validation_failed(errors: &[(String, String)]) -> Response {
    let errors: Vec<Value> = errors
        .iter()
        .map(|(field, message)| json!({ "field": field, "message": message }))
        .collect();
    respond(
        StatusCode::BAD_REQUEST,
        &json!({ "code": 300, "message": "Validation Failed.", "errors": errors }),
    )
}

fn oauth_error(status: StatusCode, reason: &str, error: &str) -> Response {
    respond(status, &json!({ "reason": reason, "error": error }))
}

fn too_many(kind: RateLimit, category: &str, daily_limit: usize) -> Response {
    let (resp, kind_header, retry_after) = match kind {
        RateLimit::PerSecond { retry_after_secs } => (
            zoom_error(
                StatusCode::TOO_MANY_REQUESTS,
                429,
                "You have reached the maximum per-second rate limit for this API. Try again later.",
            ),
            "QPS",
            retry_after_secs.to_string(),
        ),
        RateLimit::Daily => {
            let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
            let tomorrow = today.tomorrow().unwrap_or(today);
            let message = format!(
                "You have exceeded the daily rate limit ({daily_limit}) of Meeting Create/Update API \
                 requests permitted for this particular user. You may resume these requests at GMT 00:00:00."
            );
            (
                zoom_error(StatusCode::TOO_MANY_REQUESTS, 429, &message),
                "Daily-limit",
                format!("{tomorrow}T00:00:00Z"),
            )
        }
    };
    let mut resp = resp;
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&retry_after) {
        headers.insert(header::RETRY_AFTER, v);
    }
    headers.insert("x-ratelimit-type", HeaderValue::from_static(kind_header));
    if let Ok(v) = HeaderValue::from_str(category) {
        headers.insert("x-ratelimit-category", v);
    }
    resp
}

/// `application/x-www-form-urlencoded` pairs (also query strings).
fn parse_pairs(s: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(s).into_owned().collect()
}

// ---- request pipeline -------------------------------------------------------------------------

async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 4 << 20)
        .await
        .unwrap_or_default();
    if inner.recording.load(Relaxed) {
        inner.record(&parts, &body);
    }
    let latency = inner.latency_ns.load(Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_nanos(latency)).await;
    }
    let path = parts.uri.path();
    if path == "/oauth/token" && user_oauth::is_user_client(&parts) {
        return user_oauth::token(&inner, &parts, &body).await;
    }
    if path == "/oauth/token" {
        return token(&inner, &parts, &body);
    }
    if path == "/oauth/authorize" {
        return user_oauth::authorize(&inner, &parts);
    }
    if path == "/oauth/revoke" {
        return user_oauth::revoke(&inner, &parts, &body);
    }
    match path.strip_prefix("/v2/") {
        Some(rest) => api(&inner, &parts, rest, &body).await,
        None => zoom_error(StatusCode::NOT_FOUND, 404, "Not Found"),
    }
}

fn token(inner: &Inner, parts: &Parts, body: &Bytes) -> Response {
    inner.token_requests.fetch_add(1, Relaxed);
    match *lock(&inner.token_failure) {
        Some(TokenFailure::Down) => return empty(StatusCode::SERVICE_UNAVAILABLE),
        Some(TokenFailure::InvalidClient) => return invalid_client(),
        Some(TokenFailure::InvalidAccount) => return invalid_account(),
        Some(TokenFailure::NotActivated) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "The app has been disabled",
                "invalid_client",
            );
        }
        None => {}
    }
    if parts.method != Method::POST {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let basic = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!("{}:{}", FakeZoom::CLIENT_ID, FakeZoom::CLIENT_SECRET);
    if basic.as_deref() != Some(expected.as_str()) {
        return invalid_client();
    }
    // Zoom reads the parameters from the query string or the form body.
    let mut params = parse_pairs(parts.uri.query().unwrap_or_default().as_bytes());
    params.extend(parse_pairs(body));
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match param("grant_type") {
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "Missing grant type",
                "invalid_request",
            );
        }
        Some("account_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "Unsupported grant type",
                "unsupported_grant_type",
            );
        }
    }
    if param("account_id") != Some(FakeZoom::ACCOUNT_ID) {
        return invalid_account();
    }
    let access_token = inner.issue_token();
    let scope = Arc::clone(&read(&inner.scopes));
    respond(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": inner.token_ttl.load(Relaxed),
            "scope": &*scope,
            "api_url": inner.url,
        }),
    )
}

fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "Invalid client_id or client_secret",
        "invalid_client",
    )
}

fn invalid_account() -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "Invalid account_id",
        "invalid_request",
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Endpoint {
    Create,
    List,
    Get,
    Update,
    Delete,
    GetUser,
}

impl Endpoint {
    /// Classic and granular scopes, from the spec's `x-macro-scopes` / `x-granular-scopes`
    /// (`GET /users/{userId}` from Zoom's Users API docs). The granular pair comes first: it is
    /// what Zoom names in its 4711 message.
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Endpoint::Create => &[
                "meeting:write:meeting",
                "meeting:write:meeting:admin",
                "meeting:write",
                "meeting:write:admin",
            ],
            Endpoint::List => &[
                "meeting:read:list_meetings",
                "meeting:read:list_meetings:admin",
                "meeting:read",
                "meeting:read:admin",
            ],
            Endpoint::Get => &[
                "meeting:read:meeting",
                "meeting:read:meeting:admin",
                "meeting:read",
                "meeting:read:admin",
            ],
            Endpoint::Update => &[
                "meeting:update:meeting",
                "meeting:update:meeting:admin",
                "meeting:write",
                "meeting:write:admin",
            ],
            Endpoint::Delete => &[
                "meeting:delete:meeting",
                "meeting:delete:meeting:admin",
                "meeting:write",
                "meeting:write:admin",
            ],
            Endpoint::GetUser => &[
                "user:read:user",
                "user:read:user:admin",
                "user:read",
                "user:read:admin",
            ],
        }
    }

    /// The spec's "Rate Limit Label", as Zoom spells it in `X-RateLimit-Category`.
    fn category(self) -> &'static str {
        match self {
            Endpoint::Create | Endpoint::List => "Medium",
            Endpoint::Get | Endpoint::Update | Endpoint::Delete | Endpoint::GetUser => "Light",
        }
    }
}

/// The endpoint and its path parameter, or the status for an unknown path / method.
fn route(method: &Method, api_path: &str) -> Result<(Endpoint, String), StatusCode> {
    let segments: Vec<&str> = api_path.trim_end_matches('/').split('/').collect();
    let endpoint = match (segments.as_slice(), method.as_str()) {
        (["users", _, "meetings"], "POST") => Endpoint::Create,
        (["users", _, "meetings"], "GET") => Endpoint::List,
        (["users", _], "GET") => Endpoint::GetUser,
        (["meetings", _], "GET") => Endpoint::Get,
        (["meetings", _], "PATCH") => Endpoint::Update,
        (["meetings", _], "DELETE") => Endpoint::Delete,
        (["users", _, "meetings"] | ["users" | "meetings", _], _) => {
            return Err(StatusCode::METHOD_NOT_ALLOWED);
        }
        _ => return Err(StatusCode::NOT_FOUND),
    };
    Ok((
        endpoint,
        percent_decode_str(segments[1])
            .decode_utf8_lossy()
            .into_owned(),
    ))
}

/// Pops one of a counted switch.
fn take<T: Copy>(slot: &mut (usize, T)) -> Option<T> {
    if slot.0 == 0 {
        return None;
    }
    slot.0 -= 1;
    Some(slot.1)
}

async fn api(inner: &Inner, parts: &Parts, api_path: &str, body: &Bytes) -> Response {
    let routed = route(&parts.method, api_path);
    let random = inner.draw_fault(routed.as_ref().ok().map(|(e, _)| *e));
    let (slow, fail) = {
        let mut faults = lock(&inner.faults);
        (take(&mut faults.slow), take(&mut faults.fail))
    };
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    if let Some(status) = fail {
        return server_error(status);
    }
    if let Some(Fault::Edge(status)) = random {
        inner.count_fault(COUNT_EDGE);
        return server_error(status);
    }

    let (scopes, acting_user) = match authenticate(inner, parts) {
        Ok(caller) => caller,
        Err(expired) => return invalid_token(expired),
    };
    let (endpoint, param) = match routed {
        Ok(found) => found,
        Err(status) => {
            let reason = status.canonical_reason().unwrap_or_default();
            return zoom_error(status, i64::from(status.as_u16()), reason);
        }
    };
    let wanted = endpoint.scopes();
    if !scopes.split_ascii_whitespace().any(|s| wanted.contains(&s)) {
        let message = format!(
            "Invalid access token, does not contain scopes:[{}, {}].",
            wanted[0], wanted[1]
        );
        return zoom_error(StatusCode::BAD_REQUEST, 4711, &message);
    }
    let rate = take(&mut lock(&inner.faults).rate);
    if let Some(kind) = rate {
        return too_many(kind, endpoint.category(), 100);
    }
    if random == Some(Fault::RateLimited) {
        inner.count_fault(COUNT_RATE);
        let kind = RateLimit::PerSecond {
            retry_after_secs: 1,
        };
        return too_many(kind, endpoint.category(), 100);
    }

    // A user-level token acts as its one user: `me` and its own id or email only.
    let param = match acting_user {
        Some(user) => match user_oauth::act_as(inner, &user, endpoint, param) {
            Ok(param) => param,
            Err(refused) => return *refused,
        },
        None => param,
    };
    let query = parts.uri.query().unwrap_or_default();
    let random_create = match random {
        Some(Fault::Create(failure)) => Some(failure),
        _ => None,
    };
    match endpoint {
        Endpoint::Create => match create(inner, &param, body, random_create) {
            Created::Now(answer) => answer,
            Created::Late(d, answer) => {
                tokio::time::sleep(d).await;
                answer
            }
        },
        Endpoint::List => list(inner, &param, query),
        Endpoint::Get => get(inner, &param, query),
        Endpoint::Update => update(inner, &param, body, query),
        Endpoint::Delete => delete(inner, &param, query),
        Endpoint::GetUser => match inner.find_user(&param) {
            Some(user) => respond(StatusCode::OK, &user.view()),
            None => user_not_found(&param),
        },
    }
}

/// The token's scopes and the user a user-level token acts as, or why Zoom's gateway answers
/// 401: `Err(true)` when it has expired.
fn authenticate(inner: &Inner, parts: &Parts) -> Result<(Arc<str>, Option<Arc<str>>), bool> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
        })
        .ok_or(false)?;
    let tokens = read(&inner.tokens);
    let info = tokens.get(token).ok_or(false)?;
    if Instant::now() >= info.expires_at {
        return Err(true);
    }
    Ok((Arc::clone(&info.scopes), info.user.clone()))
}

// ---- meetings ---------------------------------------------------------------------------------

/// What a meeting request asks for, validated.
#[derive(Default)]
struct MeetingInput {
    topic: Option<String>,
    kind: Option<i64>,
    start: Option<i64>,
    duration: Option<i64>,
    timezone: Option<String>,
    agenda: Option<String>,
    password: Option<String>,
    default_password: Option<bool>,
    pre_schedule: Option<bool>,
    schedule_for: Option<String>,
    settings: Map<String, Value>,
    tracking_fields: Option<Value>,
    recurrence: Option<Recurrence>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    Update,
}

fn field_error(errors: &mut Vec<(String, String)>, field: &str, message: &str) {
    errors.push((field.to_owned(), message.to_owned()));
}

/// Parses and validates a create (POST) or update (PATCH) body against the spec's schema.
/// `default_tz` reads a local `start_time` when the body names no `timezone`.
fn parse_input(body: &[u8], default_tz: &str, op: Op) -> Result<MeetingInput, Invalid> {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(Invalid::Json);
    };
    let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let mut errors = Vec::new();
    let _template = string_field(get("template_id"), "template_id", usize::MAX, &mut errors);
    let mut input = MeetingInput {
        topic: string_field(get("topic"), "topic", 200, &mut errors),
        agenda: string_field(get("agenda"), "agenda", 2000, &mut errors),
        schedule_for: string_field(get("schedule_for"), "schedule_for", usize::MAX, &mut errors),
        password: string_field(get("password"), "password", 10, &mut errors),
        ..MeetingInput::default()
    };
    if let Some(password) = &input.password {
        let allowed = |c: char| match op {
            Op::Create => c.is_ascii_graphic(),
            Op::Update => c.is_ascii_alphanumeric() || "@-_*".contains(c),
        };
        if !password.chars().all(allowed) {
            let message = match op {
                Op::Create => "Passcode may only contain printable characters, no spaces.",
                Op::Update => {
                    "Passcode may only contain the following characters: [a-z A-Z 0-9 @ - _ *]."
                }
            };
            field_error(&mut errors, "password", message);
        }
    }
    if let Some(v) = get("type") {
        match v.as_i64() {
            Some(t) if [1, 2, 3, 8, 10].contains(&t) => input.kind = Some(t),
            _ => field_error(&mut errors, "type", "Invalid meeting type."),
        }
    }
    if let Some(v) = get("duration") {
        match v.as_i64() {
            Some(d) if d > 0 => input.duration = Some(d),
            _ => field_error(
                &mut errors,
                "duration",
                "Duration must be a positive integer.",
            ),
        }
    }
    for (key, slot) in [
        ("default_password", &mut input.default_password),
        ("pre_schedule", &mut input.pre_schedule),
    ] {
        if let Some(v) = get(key) {
            match v.as_bool() {
                Some(b) => *slot = Some(b),
                None => field_error(&mut errors, key, "Invalid field."),
            }
        }
    }
    input.timezone = string_field(get("timezone"), "timezone", usize::MAX, &mut errors)
        .filter(|tz| !tz.is_empty());
    if let Some(tz) = &input.timezone
        && TimeZone::get(tz).is_err()
    {
        field_error(&mut errors, "timezone", "Invalid timezone.");
    }
    if let Some(v) = get("start_time") {
        let tz = input.timezone.as_deref().unwrap_or(default_tz);
        match v.as_str().and_then(|s| parse_start(s, tz)) {
            Some(secs) => input.start = Some(secs),
            None => field_error(
                &mut errors,
                "start_time",
                "Invalid start_time: use yyyy-MM-ddTHH:mm:ssZ, or yyyy-MM-ddTHH:mm:ss with a timezone.",
            ),
        }
    }
    if let Some(v) = get("settings") {
        match v.as_object() {
            Some(settings) => input.settings = parse_settings(settings, &mut errors),
            None => field_error(&mut errors, "settings", "Invalid field."),
        }
    }
    if let Some(v) = get("tracking_fields") {
        if v.is_array() {
            input.tracking_fields = Some(v.clone());
        } else {
            field_error(&mut errors, "tracking_fields", "Invalid field.");
        }
    }
    if let Some(v) = get("recurrence") {
        match v.as_object() {
            Some(object) => input.recurrence = parse_recurrence(object, &mut errors),
            None => field_error(&mut errors, "recurrence", "Invalid field."),
        }
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(Invalid::Fields(errors))
    }
}

/// Why a meeting body was refused.
enum Invalid {
    Json,
    Fields(Vec<(String, String)>),
}

impl Invalid {
    fn response(&self) -> Response {
        match self {
            Invalid::Json => invalid_json(),
            Invalid::Fields(errors) => validation_failed(errors),
        }
    }
}

fn string_field(
    value: Option<&Value>,
    field: &str,
    max_chars: usize,
    errors: &mut Vec<(String, String)>,
) -> Option<String> {
    let value = value?;
    let Some(s) = value.as_str() else {
        field_error(errors, field, "Invalid field.");
        return None;
    };
    if max_chars != usize::MAX && s.chars().count() > max_chars {
        field_error(
            errors,
            field,
            &format!("The {field} can have a maximum of {max_chars} characters."),
        );
        return None;
    }
    Some(s.to_owned())
}

/// `...Z` or an offset is an instant; a local `yyyy-MM-ddTHH:mm:ss` is read in `tz`.
fn parse_start(s: &str, tz: &str) -> Option<i64> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts.as_second());
    }
    if !s.contains('T') {
        return None;
    }
    let local: civil::DateTime = s.parse().ok()?;
    let zone = TimeZone::get(tz).ok()?;
    local.to_zoned(zone).ok().map(|z| z.timestamp().as_second())
}

#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Int(&'static [i64]),
    Str(&'static [&'static str]),
    Array,
    Object,
}

/// The spec's meeting `settings` properties (create and update request schemas, merged) and their
/// types; `echo` is false where the response schema has no such key.
const SETTINGS: &[(&str, Kind, bool)] = &[
    ("additional_data_center_regions", Kind::Array, false),
    (
        "allow_host_control_participant_mute_state",
        Kind::Bool,
        true,
    ),
    ("allow_multiple_devices", Kind::Bool, true),
    ("alternative_host_update_polls", Kind::Bool, true),
    ("alternative_hosts", Kind::Str(&[]), true),
    ("alternative_hosts_email_notification", Kind::Bool, true),
    ("approval_type", Kind::Int(&[0, 1, 2]), true),
    (
        "approved_or_denied_countries_or_regions",
        Kind::Object,
        true,
    ),
    (
        "audio",
        Kind::Str(&["both", "telephony", "voip", "thirdParty"]),
        true,
    ),
    ("audio_conference_info", Kind::Str(&[]), true),
    ("authentication_domains", Kind::Str(&[]), true),
    ("authentication_exception", Kind::Array, true),
    ("authentication_name", Kind::Str(&[]), true),
    ("authentication_option", Kind::Str(&[]), true),
    (
        "auto_recording",
        Kind::Str(&["local", "cloud", "none"]),
        true,
    ),
    ("auto_start_ai_companion_questions", Kind::Bool, true),
    ("auto_start_meeting_summary", Kind::Bool, true),
    ("breakout_room", Kind::Object, true),
    ("calendar_type", Kind::Int(&[1, 2]), true),
    ("close_registration", Kind::Bool, true),
    ("cn_meeting", Kind::Bool, true),
    ("contact_email", Kind::Str(&[]), true),
    ("contact_name", Kind::Str(&[]), true),
    ("continuous_meeting_chat", Kind::Object, true),
    ("custom_keys", Kind::Array, true),
    ("device_testing", Kind::Bool, true),
    ("disable_participant_video", Kind::Bool, true),
    ("email_in_attendee_report", Kind::Bool, true),
    ("email_notification", Kind::Bool, true),
    (
        "encryption_type",
        Kind::Str(&["enhanced_encryption", "e2ee"]),
        true,
    ),
    ("enforce_login", Kind::Bool, true),
    ("enforce_login_domains", Kind::Str(&[]), true),
    ("focus_mode", Kind::Bool, true),
    ("global_dial_in_countries", Kind::Array, true),
    ("global_dial_in_numbers", Kind::Array, true),
    ("host_save_video_order", Kind::Bool, true),
    ("host_video", Kind::Bool, true),
    ("in_meeting", Kind::Bool, true),
    ("internal_meeting", Kind::Bool, true),
    ("jbh_time", Kind::Int(&[0, 5, 10, 15]), true),
    ("join_before_host", Kind::Bool, true),
    ("language_interpretation", Kind::Object, true),
    ("meeting_authentication", Kind::Bool, true),
    ("meeting_invitees", Kind::Array, true),
    ("mute_upon_entry", Kind::Bool, true),
    ("participant_focused_meeting", Kind::Bool, true),
    ("participant_video", Kind::Bool, true),
    ("private_meeting", Kind::Bool, true),
    ("push_change_to_calendar", Kind::Bool, true),
    ("question_and_answer", Kind::Object, true),
    ("registrants_confirmation_email", Kind::Bool, true),
    ("registrants_email_notification", Kind::Bool, true),
    ("registration_type", Kind::Int(&[1, 2, 3]), true),
    ("resources", Kind::Array, true),
    ("show_share_button", Kind::Bool, true),
    ("sign_language_interpretation", Kind::Object, true),
    ("summary_template_id", Kind::Str(&[]), true),
    ("use_pmi", Kind::Bool, true),
    ("waiting_room", Kind::Bool, true),
    ("watermark", Kind::Bool, true),
    ("who_can_ask_questions", Kind::Int(&[1, 2, 3, 4, 5]), true),
    ("who_will_receive_summary", Kind::Int(&[1, 2, 3, 4]), true),
];

fn parse_settings(
    settings: &Map<String, Value>,
    errors: &mut Vec<(String, String)>,
) -> Map<String, Value> {
    let mut kept = Map::new();
    for (key, value) in settings {
        // Zoom ignores settings it does not know.
        let Some(&(_, kind, echo)) = SETTINGS.iter().find(|(k, _, _)| k == key) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let ok = match kind {
            Kind::Bool => value.is_boolean(),
            Kind::Int(allowed) => value
                .as_i64()
                .is_some_and(|n| allowed.is_empty() || allowed.contains(&n)),
            Kind::Str(allowed) => value
                .as_str()
                .is_some_and(|s| allowed.is_empty() || allowed.contains(&s)),
            Kind::Array => value.is_array(),
            Kind::Object => value.is_object(),
        };
        if !ok {
            field_error(errors, &format!("settings.{key}"), "Invalid field.");
        } else if echo {
            kept.insert(key.clone(), value.clone());
        }
    }
    kept
}

/// The settings a new meeting has when the request sets none: each key is in the spec's response
/// `settings` schema, values are the schema defaults or Zoom's usual account defaults.
fn settings_defaults() -> Map<String, Value> {
    let defaults = json!({
        "allow_multiple_devices": false,
        "alternative_hosts": "",
        "alternative_hosts_email_notification": true,
        "alternative_host_update_polls": false,
        "approval_type": 2,
        "approved_or_denied_countries_or_regions": { "enable": false },
        "audio": "voip",
        "auto_recording": "none",
        "auto_start_meeting_summary": false,
        "auto_start_ai_companion_questions": false,
        "breakout_room": { "enable": false },
        "close_registration": false,
        "cn_meeting": false,
        "continuous_meeting_chat": { "enable": false, "auto_add_invited_external_users": false, "auto_add_meeting_participants": false },
        "device_testing": false,
        "email_notification": true,
        "encryption_type": "enhanced_encryption",
        "enforce_login": false,
        "enforce_login_domains": "",
        "focus_mode": false,
        "host_save_video_order": false,
        "host_video": false,
        "in_meeting": false,
        "internal_meeting": false,
        "jbh_time": 0,
        "join_before_host": false,
        "meeting_authentication": false,
        "mute_upon_entry": false,
        "participant_focused_meeting": false,
        "participant_video": false,
        "private_meeting": false,
        "push_change_to_calendar": false,
        "registrants_confirmation_email": true,
        "registrants_email_notification": true,
        "resources": [],
        "show_share_button": false,
        "sign_language_interpretation": { "enable": false },
        "use_pmi": false,
        "waiting_room": false,
        "watermark": false,
        "email_in_attendee_report": false,
    });
    match defaults {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    /// The 201 of `POST /users/{userId}/meetings`.
    Created,
    /// `GET /meetings/{meetingId}`.
    Full,
    /// One item of `GET /users/{userId}/meetings`.
    ListItem,
}

impl Meeting {
    fn sort_key(&self) -> (i64, i64) {
        (self.start.unwrap_or(i64::MAX), self.id)
    }

    fn join_url(&self) -> String {
        if self.password.is_empty() {
            format!("https://zoom.us/j/{}", self.id)
        } else {
            format!(
                "https://zoom.us/j/{}?pwd={}",
                self.id, self.encrypted_password
            )
        }
    }

    fn view(&self, view: View, defaults: &Map<String, Value>, zak: &str) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        if view != View::Created {
            put("uuid", json!(STANDARD.encode(self.uuid)));
            put("host_id", json!(&*self.host_id));
        }
        put("id", json!(self.id));
        put("topic", json!(self.topic));
        put("type", json!(self.kind));
        if let Some(start) = self.start {
            put("start_time", json!(iso(start)));
        }
        put("duration", json!(self.duration));
        put("timezone", json!(&*self.timezone));
        put("created_at", json!(iso(self.created_at)));
        put("join_url", json!(self.join_url()));
        if view == View::ListItem {
            if !self.agenda.is_empty() {
                // The list truncates agendas to 250 characters (spec, list item `agenda`).
                put(
                    "agenda",
                    json!(self.agenda.chars().take(250).collect::<String>()),
                );
            }
            return Value::Object(m);
        }
        if view == View::Full {
            put("status", json!("waiting"));
        }
        put("host_email", json!(&*self.host_email));
        if !self.agenda.is_empty() {
            put("agenda", json!(self.agenda));
        }
        put(
            "start_url",
            json!(format!("https://zoom.us/s/{}?zak={zak}", self.id)),
        );
        if !self.password.is_empty() {
            put("password", json!(self.password));
            put("h323_password", json!(self.numeric_password));
            put("pstn_password", json!(self.numeric_password));
            put("encrypted_password", json!(self.encrypted_password));
        }
        let mut settings = defaults.clone();
        settings.extend(self.settings.iter().map(|(k, v)| (k.clone(), v.clone())));
        put("settings", Value::Object(settings));
        put("pre_schedule", json!(self.pre_schedule));
        put("creation_source", json!("open_api"));
        if let Some(tf) = &self.tracking_fields {
            put("tracking_fields", tf.clone());
        }
        if let Some(rec) = &self.recurrence {
            put("occurrences", self.occurrences_view(false));
            put("recurrence", rec.echo.clone());
        }
        Value::Object(m)
    }

    /// Applies an update; the caller keeps the host index in step with `start`.
    fn apply(&mut self, input: MeetingInput, inner: &Inner) {
        let moved = input.start.is_some()
            || input.duration.is_some()
            || input.timezone.is_some()
            || input.recurrence.is_some();
        if let Some(topic) = input.topic {
            self.topic = topic;
        }
        if let Some(kind) = input.kind {
            self.kind = kind;
        }
        if let Some(tz) = input.timezone {
            self.timezone = Arc::from(tz);
        }
        if let Some(start) = input.start {
            self.start = Some(start);
        }
        if let Some(duration) = input.duration {
            self.duration = duration;
        }
        if let Some(agenda) = input.agenda {
            self.agenda = agenda;
        }
        if let Some(password) = input.password {
            self.set_password(password, inner);
        }
        if let Some(pre) = input.pre_schedule {
            self.pre_schedule = pre;
        }
        self.settings.extend(input.settings);
        if input.tracking_fields.is_some() {
            self.tracking_fields = input.tracking_fields;
        }
        if input.recurrence.is_some() {
            self.recurrence = input.recurrence;
        }
        if moved && self.kind == 8 {
            self.schedule_occurrences();
        }
    }

    fn set_password(&mut self, password: String, inner: &Inner) {
        if password.is_empty() {
            self.encrypted_password.clear();
            self.numeric_password.clear();
        } else {
            self.encrypted_password = format!("{}.1", inner.alnum(32));
            self.numeric_password = inner.digits(password.len().clamp(6, 10));
        }
        self.password = password;
    }
}

enum Created {
    Now(Response),
    /// The meeting exists; the response leaves after this delay.
    Late(Duration, Response),
}

/// `random`: the request's random create failure, used when `fail_next_creates` has none.
fn create(inner: &Inner, user_key: &str, body: &[u8], random: Option<CreateFailure>) -> Created {
    let Some(user) = inner.find_user(user_key) else {
        return Created::Now(user_not_found(user_key));
    };
    let counted = take(&mut lock(&inner.faults).creates);
    let (failure, is_random) = match counted {
        Some(failure) => (Some(failure), false),
        None => (random, random.is_some()),
    };
    let count = |index| {
        if is_random {
            inner.count_fault(index);
        }
    };
    if let Some(CreateFailure::BeforeCreate(code)) = failure {
        count(COUNT_CREATE_BEFORE);
        return Created::Now(server_error(code));
    }
    let input = match parse_input(body, &user.timezone, Op::Create) {
        Ok(input) => input,
        Err(invalid) => return Created::Now(invalid.response()),
    };
    if input.kind == Some(8) && input.recurrence.is_none() {
        return Created::Now(recurrence_required());
    }
    let host = match &input.schedule_for {
        None => user,
        Some(other) => match inner.find_user(other) {
            Some(host) => host,
            None => {
                return Created::Now(zoom_error(
                    StatusCode::BAD_REQUEST,
                    300,
                    "The value that you entered in the schedule_for field is invalid. Enter a valid value and try again.",
                ));
            }
        },
    };
    let meeting = new_meeting(inner, &host, input);
    let body = meeting.view(View::Created, &inner.settings_defaults, &inner.zak());
    {
        let mut store = lock(&inner.store);
        if let Err(limit) = store.charge_daily(&host.id) {
            return Created::Now(too_many(
                RateLimit::Daily,
                Endpoint::Create.category(),
                limit,
            ));
        }
        store.insert(meeting);
    }
    inner.meetings_created.fetch_add(1, Relaxed);
    let created = respond(StatusCode::CREATED, &body);
    match failure {
        Some(CreateFailure::AfterCreate(code)) => {
            count(COUNT_CREATE_AFTER);
            Created::Now(server_error(code))
        }
        Some(CreateFailure::SlowAfterCreate(d)) => {
            count(COUNT_CREATE_HELD);
            Created::Late(d, created)
        }
        Some(CreateFailure::BeforeCreate(_)) | None => Created::Now(created),
    }
}

fn new_meeting(inner: &Inner, host: &User, input: MeetingInput) -> Meeting {
    let now = now_secs();
    let (seq, id) = inner.next_meeting_id();
    let mut kind = input.kind.unwrap_or(2);
    let start = match kind {
        // Spec: a scheduled meeting without start_time starts now and becomes instant.
        2 if input.start.is_none() => {
            kind = 1;
            Some(now)
        }
        2 => input.start,
        8 => input.start.or(Some(now)),
        3 => None,
        _ => Some(now),
    };
    let password = match input.password.filter(|p| !p.is_empty()) {
        Some(p) => p,
        None if input.default_password == Some(false) => String::new(),
        None => inner.alnum(6),
    };
    let mut meeting = Meeting {
        seq,
        id,
        uuid: inner.uuid(),
        host_id: Arc::clone(&host.id),
        host_email: Arc::clone(&host.email),
        topic: input.topic.unwrap_or_else(|| "Zoom Meeting".to_owned()),
        kind,
        start,
        duration: input.duration.unwrap_or(60),
        timezone: input
            .timezone
            .map_or_else(|| Arc::clone(&host.timezone), Arc::from),
        agenda: input.agenda.unwrap_or_default(),
        created_at: now,
        password: String::new(),
        encrypted_password: String::new(),
        numeric_password: String::new(),
        pre_schedule: input.pre_schedule.unwrap_or(false),
        settings: input.settings,
        tracking_fields: input.tracking_fields,
        // The spec: "Use this object only for a meeting with type 8"; Zoom ignores it otherwise.
        recurrence: input.recurrence.filter(|_| kind == 8),
        occurrences: Vec::new(),
    };
    meeting.set_password(password, inner);
    meeting.schedule_occurrences();
    meeting
}

impl Store {
    /// Counts one create/update against the host's daily limit; `Err(limit)` when it is used up.
    fn charge_daily(&mut self, host: &Arc<str>) -> Result<(), usize> {
        let Some(limit) = self.daily_limit else {
            return Ok(());
        };
        let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
        let entry = self.daily.entry(Arc::clone(host)).or_insert((today, 0));
        if entry.0 != today {
            *entry = (today, 0);
        }
        if entry.1 >= limit {
            return Err(limit);
        }
        entry.1 += 1;
        Ok(())
    }

    fn insert(&mut self, meeting: Meeting) {
        self.by_host
            .entry(Arc::clone(&meeting.host_id))
            .or_default()
            .insert(meeting.sort_key());
        self.meetings.insert(meeting.id, meeting);
    }

    fn remove(&mut self, id: i64) -> Option<Meeting> {
        let meeting = self.meetings.remove(&id)?;
        if let Some(index) = self.by_host.get_mut(&meeting.host_id) {
            index.remove(&meeting.sort_key());
        }
        Some(meeting)
    }
}

fn get(inner: &Inner, id: &str, query: &str) -> Response {
    let params = parse_pairs(query.as_bytes());
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let all = param("show_previous_occurrences") == Some("true");
    let zak = inner.zak();
    let store = lock(&inner.store);
    let Some(meeting) = id.parse::<i64>().ok().and_then(|n| store.meetings.get(&n)) else {
        // The spec types meetingId as int64 and documents only 3001 for unknown meetings.
        return meeting_not_found(id);
    };
    let mut body = meeting.view(View::Full, &inner.settings_defaults, &zak);
    if meeting.recurrence.is_some() {
        body["occurrences"] = meeting.occurrences_view(all);
    }
    if let Some(wanted) = param("occurrence_id") {
        // One occurrence's details: its own start and duration.
        let Some(occurrence) = meeting.occurrence(wanted) else {
            return invalid_occurrence();
        };
        body["start_time"] = json!(iso(occurrence.start));
        body["duration"] = json!(occurrence.duration);
    }
    drop(store);
    respond(StatusCode::OK, &body)
}

fn delete(inner: &Inner, id: &str, query: &str) -> Response {
    let params = parse_pairs(query.as_bytes());
    let occurrence_id = params
        .iter()
        .find(|(k, _)| k == "occurrence_id")
        .map(|(_, v)| v.as_str());
    let Ok(n) = id.parse::<i64>() else {
        return meeting_not_found(id);
    };
    let mut store = lock(&inner.store);
    let Some(occurrence_id) = occurrence_id else {
        // Without occurrence_id a series goes whole (spec: "the entire recurring series").
        return match store.remove(n) {
            Some(_) => empty(StatusCode::NO_CONTENT),
            None => meeting_not_found(id),
        };
    };
    let Some(meeting) = store.meetings.get_mut(&n) else {
        return meeting_not_found(id);
    };
    // Deleting one twice is refused too: nothing says Zoom takes it again.
    match meeting.occurrence_mut(occurrence_id) {
        Some(occurrence) if !occurrence.deleted => {
            occurrence.deleted = true;
            empty(StatusCode::NO_CONTENT)
        }
        _ => invalid_occurrence(),
    }
}

fn update(inner: &Inner, id: &str, body: &[u8], query: &str) -> Response {
    let Ok(n) = id.parse::<i64>() else {
        return meeting_not_found(id);
    };
    let params = parse_pairs(query.as_bytes());
    let occurrence_id = params
        .iter()
        .find(|(k, _)| k == "occurrence_id")
        .map(|(_, v)| v.clone());
    let timezone = lock(&inner.store)
        .meetings
        .get(&n)
        .map(|m| Arc::clone(&m.timezone));
    let Some(timezone) = timezone else {
        return meeting_not_found(id);
    };
    let mut input = match parse_input(body, &timezone, Op::Update) {
        Ok(input) => input,
        Err(invalid) => return invalid.response(),
    };
    if let Some(other) = &input.schedule_for
        && inner.find_user(other).is_none()
    {
        return zoom_error(
            StatusCode::BAD_REQUEST,
            300,
            "The value that you entered in the schedule_for field is invalid. Enter a valid value and try again.",
        );
    }
    let mut store = lock(&inner.store);
    let Some(mut meeting) = store.remove(n) else {
        return meeting_not_found(id);
    };
    let refused = |store: &mut Store, meeting: Meeting, response: Response| {
        store.insert(meeting);
        response
    };
    let series = meeting.kind == 8 || input.kind == Some(8);
    if series && input.start.is_some_and(|s| s <= now_secs()) {
        // Spec: a start in the past "is ignored and does not update any recurring meetings".
        input.start = None;
    }
    if occurrence_id.is_none() && series {
        let will_have = input.recurrence.is_some() || meeting.recurrence.is_some();
        // Spec: the recurrence object "is required ... when updating the entire series".
        if !will_have || (input.start.is_some() && input.recurrence.is_none()) {
            return refused(&mut store, meeting, recurrence_required());
        }
    }
    if occurrence_id.is_some()
        && meeting
            .occurrence(occurrence_id.as_deref().unwrap_or_default())
            .is_none()
    {
        return refused(&mut store, meeting, invalid_occurrence());
    }
    if let Err(limit) = store.charge_daily(&meeting.host_id) {
        let answer = too_many(RateLimit::Daily, Endpoint::Update.category(), limit);
        return refused(&mut store, meeting, answer);
    }
    match occurrence_id {
        // An occurrence takes a new start and duration (and agenda and some settings, which the
        // fake does not keep per occurrence); other fields are ignored.
        Some(wanted) => {
            if let Some(occurrence) = meeting.occurrence_mut(&wanted) {
                occurrence.start = input.start.unwrap_or(occurrence.start);
                occurrence.duration = input.duration.unwrap_or(occurrence.duration);
            }
        }
        None => meeting.apply(input, inner),
    }
    store.insert(meeting);
    empty(StatusCode::NO_CONTENT)
}

// ---- recurring meetings (type 8) ----------------------------------------------------------------

/// The most occurrences the fake lists: the spec's `end_times` maximum. (With `end_times` 0, "no
/// end time", Zoom does not say how many it lists.)
const OCCURRENCES_MAX: usize = 60;

/// A validated `recurrence` object.
#[derive(Clone)]
struct Recurrence {
    /// What the answers show: the known keys as sent.
    echo: Value,
    kind: i64,
    interval: i64,
    /// Weekly: 1 (Sunday) to 7, sorted.
    weekly_days: Vec<i64>,
    monthly_day: i64,
    /// Monthly by weekday: (week 1..4 or -1, weekday 1..7).
    monthly_week: Option<(i64, i64)>,
    end: RecurrenceEnd,
}

#[derive(Clone, Copy)]
enum RecurrenceEnd {
    Times(usize),
    Until(i64),
}

#[derive(Clone)]
struct Occurrence {
    /// Its original start in epoch milliseconds: the `occurrence_id`, kept when it is moved.
    id: i64,
    start: i64,
    duration: i64,
    deleted: bool,
}

fn recurrence_required() -> Response {
    validation_failed(&[(
        "recurrence".to_owned(),
        "The recurrence object is required for a recurring meeting with a fixed time (type 8)."
            .to_owned(),
    )])
}

fn invalid_occurrence() -> Response {
    zoom_error(
        StatusCode::BAD_REQUEST,
        300,
        "Invalid parameter: occurrence_id.",
    )
}

/// Reads `recurrence` by the spec's schema and descriptions: `type` required (1..3), the
/// `repeat_interval` maxima (daily 99, weekly 50, monthly 10), `weekly_days` required for weekly,
/// `monthly_day` 1..31 or `monthly_week` with `monthly_week_day`, `end_times` at most 60 and not
/// with `end_date_time`.
fn parse_recurrence(
    object: &Map<String, Value>,
    errors: &mut Vec<(String, String)>,
) -> Option<Recurrence> {
    let before = errors.len();
    let get = |k: &str| object.get(k).filter(|v| !v.is_null());
    let mut fail = |field: &str, message: &str| {
        field_error(errors, &format!("recurrence.{field}"), message);
    };
    let int = |k: &str| get(k).map(|v| v.as_i64().ok_or(()));
    let kind = match int("type") {
        Some(Ok(kind @ 1..=3)) => kind,
        None => {
            fail("type", "The recurrence type is required.");
            return None;
        }
        Some(_) => {
            fail(
                "type",
                "Invalid recurrence type: 1 (daily), 2 (weekly) or 3 (monthly).",
            );
            return None;
        }
    };
    let max_interval = [99, 50, 10][usize::try_from(kind - 1).unwrap_or_default()];
    let interval = match int("repeat_interval") {
        None => 1,
        Some(Ok(n)) if (1..=max_interval).contains(&n) => n,
        Some(_) => {
            fail(
                "repeat_interval",
                &format!("repeat_interval must be from 1 to {max_interval} for this type."),
            );
            1
        }
    };
    let mut weekly_days: Vec<i64> = Vec::new();
    match get("weekly_days").map(Value::as_str) {
        Some(Some(days)) => {
            for day in days.split(',') {
                match day.trim().parse::<i64>() {
                    Ok(d @ 1..=7) if !weekly_days.contains(&d) => weekly_days.push(d),
                    _ => fail(
                        "weekly_days",
                        "weekly_days takes days 1 (Sunday) to 7, comma separated.",
                    ),
                }
            }
        }
        Some(None) => fail("weekly_days", "Invalid field."),
        None if kind == 2 => fail(
            "weekly_days",
            "weekly_days is required for a weekly recurrence.",
        ),
        None => {}
    }
    weekly_days.sort_unstable();
    let monthly_day = match int("monthly_day") {
        None => None,
        Some(Ok(d @ 1..=31)) => Some(d),
        Some(_) => {
            fail("monthly_day", "monthly_day must be from 1 to 31.");
            None
        }
    };
    let monthly_week = match (int("monthly_week"), int("monthly_week_day")) {
        (None, None) => None,
        (Some(Ok(w @ (-1 | 1..=4))), Some(Ok(d @ 1..=7))) => Some((w, d)),
        _ => {
            fail(
                "monthly_week",
                "monthly_week (-1, 1 to 4) and monthly_week_day (1 to 7) go together.",
            );
            None
        }
    };
    let end = recurrence_end(int("end_times"), get("end_date_time"), &mut fail);
    if errors.len() > before {
        return None;
    }
    let known = [
        "type",
        "repeat_interval",
        "weekly_days",
        "monthly_day",
        "monthly_week",
        "monthly_week_day",
        "end_times",
        "end_date_time",
    ];
    let echo: Map<String, Value> = object
        .iter()
        .filter(|(k, v)| known.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Recurrence {
        echo: Value::Object(echo),
        kind,
        interval,
        weekly_days,
        monthly_day: monthly_day.unwrap_or(1),
        monthly_week,
        end,
    })
}

/// `end_times` (0 to 60: 0 is "no end time") or `end_date_time`, not both; neither is one
/// meeting, the spec's default.
fn recurrence_end(
    end_times: Option<Result<i64, ()>>,
    end_date_time: Option<&Value>,
    fail: &mut impl FnMut(&str, &str),
) -> RecurrenceEnd {
    match (end_times, end_date_time) {
        (Some(_), Some(_)) => {
            fail("end_times", "end_times cannot be used with end_date_time.");
            RecurrenceEnd::Times(1)
        }
        (Some(Ok(0)), None) => RecurrenceEnd::Times(OCCURRENCES_MAX),
        (Some(Ok(n @ 1..=60)), None) => RecurrenceEnd::Times(usize::try_from(n).unwrap_or(1)),
        (Some(_), None) => {
            fail("end_times", "The maximum number of recurring is 60.");
            RecurrenceEnd::Times(1)
        }
        (None, Some(until)) => {
            if let Some(until) = until.as_str().and_then(|u| u.parse::<Timestamp>().ok()) {
                RecurrenceEnd::Until(until.as_second())
            } else {
                fail(
                    "end_date_time",
                    "Invalid end_date_time: use yyyy-MM-ddTHH:mm:ssZ.",
                );
                RecurrenceEnd::Times(1)
            }
        }
        (None, None) => RecurrenceEnd::Times(1),
    }
}

impl Recurrence {
    /// The dates of the series from `first` on, in order (independent of zoombot's own code, so the
    /// fake checks it rather than repeats it).
    fn dates(&self, first: civil::Date) -> Vec<civil::Date> {
        let limit = match self.end {
            RecurrenceEnd::Times(n) => n,
            RecurrenceEnd::Until(_) => OCCURRENCES_MAX,
        };
        let mut dates = Vec::new();
        // Enough periods for 60 meetings, with room for months that have no such day.
        for period in 0..(i64::try_from(limit).unwrap_or(60) * 2 + 12) {
            if dates.len() >= limit {
                break;
            }
            let step = period * self.interval;
            let candidates: Vec<civil::Date> = match self.kind {
                1 => first
                    .checked_add(jiff::Span::new().days(step))
                    .ok()
                    .into_iter()
                    .collect(),
                2 => {
                    // Zoom's weeks run Sunday (1) to Saturday (7).
                    let sunday = first
                        .checked_sub(
                            jiff::Span::new()
                                .days(i64::from(first.weekday().to_sunday_zero_offset())),
                        )
                        .ok();
                    sunday
                        .and_then(|s| s.checked_add(jiff::Span::new().weeks(step)).ok())
                        .map(|week| {
                            self.weekly_days
                                .iter()
                                .filter_map(|d| {
                                    week.checked_add(jiff::Span::new().days(d - 1)).ok()
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                }
                _ => {
                    let month = first
                        .first_of_month()
                        .checked_add(jiff::Span::new().months(step))
                        .ok();
                    month.and_then(|m| self.day_in(m)).into_iter().collect()
                }
            };
            dates.extend(candidates.into_iter().filter(|d| *d >= first));
        }
        dates.truncate(limit);
        dates
    }

    /// A monthly series' date in the month of `month`: the nth weekday, or the day of the month
    /// (a day the month lacks is its last day: a guess, Zoom does not say).
    fn day_in(&self, month: civil::Date) -> Option<civil::Date> {
        if let Some((week, day)) = self.monthly_week {
            let weekday =
                jiff::civil::Weekday::from_sunday_one_offset(i8::try_from(day).ok()?).ok()?;
            return month
                .nth_weekday_of_month(i8::try_from(week).ok()?, weekday)
                .ok();
        }
        let day = i8::try_from(self.monthly_day)
            .ok()?
            .min(month.days_in_month());
        month.with().day(day).build().ok()
    }
}

impl Meeting {
    /// Lays out the occurrences afresh from the start, recurrence, zone and duration: each at the
    /// start's wall-clock time in the meeting's zone. Deleted marks stay on occurrences that keep
    /// their id (start).
    fn schedule_occurrences(&mut self) {
        let (Some(recurrence), Some(start)) = (&self.recurrence, self.start) else {
            self.occurrences.clear();
            return;
        };
        let zone = TimeZone::get(&self.timezone).unwrap_or(TimeZone::UTC);
        let Ok(first) = Timestamp::from_second(start).map(|t| t.to_zoned(zone.clone())) else {
            return;
        };
        let deleted: BTreeSet<i64> = self
            .occurrences
            .iter()
            .filter(|o| o.deleted)
            .map(|o| o.id)
            .collect();
        self.occurrences = recurrence
            .dates(first.date())
            .into_iter()
            .filter_map(|date| date.to_datetime(first.time()).to_zoned(zone.clone()).ok())
            .map(|z| z.timestamp().as_second())
            .filter(|s| match recurrence.end {
                RecurrenceEnd::Until(until) => *s <= until,
                RecurrenceEnd::Times(_) => true,
            })
            .map(|s| Occurrence {
                id: s * 1000,
                start: s,
                duration: self.duration,
                deleted: deleted.contains(&(s * 1000)),
            })
            .collect();
    }

    fn occurrence(&self, id: &str) -> Option<&Occurrence> {
        let id: i64 = id.parse().ok()?;
        self.occurrences.iter().find(|o| o.id == id)
    }

    fn occurrence_mut(&mut self, id: &str) -> Option<&mut Occurrence> {
        let id: i64 = id.parse().ok()?;
        self.occurrences.iter_mut().find(|o| o.id == id)
    }

    /// The `occurrences` array: by default only those not over yet (`show_previous_occurrences`
    /// shows the rest), deleted ones with status `deleted`.
    fn occurrences_view(&self, all: bool) -> Value {
        let now = now_secs();
        let shown: Vec<Value> = self
            .occurrences
            .iter()
            .filter(|o| all || o.start + o.duration * 60 > now)
            .map(|o| {
                json!({
                    "occurrence_id": o.id.to_string(),
                    "start_time": iso(o.start),
                    "duration": o.duration,
                    "status": if o.deleted { "deleted" } else { "available" },
                })
            })
            .collect();
        Value::Array(shown)
    }
}

const TOKEN_MASK: (u64, u64) = (0x5A17_C3E9_0B4D_2F61, 0x3C6E_F372_FE94_F82B);

/// Opaque keyset cursor: the (start, id) of the last meeting on the previous page.
fn encode_page_token(key: (i64, i64)) -> String {
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "{:016x}{:016x}",
        u64::from_ne_bytes(key.0.to_ne_bytes()) ^ TOKEN_MASK.0,
        u64::from_ne_bytes(key.1.to_ne_bytes()) ^ TOKEN_MASK.1
    );
    s
}

fn decode_page_token(s: &str) -> Option<(i64, i64)> {
    if s.len() != 32 || !s.is_ascii() {
        return None;
    }
    let a = u64::from_str_radix(&s[..16], 16).ok()? ^ TOKEN_MASK.0;
    let b = u64::from_str_radix(&s[16..], 16).ok()? ^ TOKEN_MASK.1;
    Some((
        i64::from_ne_bytes(a.to_ne_bytes()),
        i64::from_ne_bytes(b.to_ne_bytes()),
    ))
}

fn list(inner: &Inner, user_key: &str, query: &str) -> Response {
    let Some(user) = inner.find_user(user_key) else {
        return user_not_found(user_key);
    };
    let params = parse_pairs(query.as_bytes());
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let kind = param("type").unwrap_or("scheduled");
    if ![
        "scheduled",
        "live",
        "upcoming",
        "upcoming_meetings",
        "previous_meetings",
    ]
    .contains(&kind)
    {
        return validation_failed(&[("type".to_owned(), "Invalid field.".to_owned())]);
    }
    let page_size = match param("page_size").map(str::parse::<usize>) {
        None => 30,
        Some(Ok(n)) if (1..=300).contains(&n) => n,
        Some(_) => {
            return validation_failed(&[(
                "page_size".to_owned(),
                "page_size must be an integer from 1 to 300.".to_owned(),
            )]);
        }
    };
    let after = match param("next_page_token").filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => match decode_page_token(token) {
            Some(key) => Some(key),
            None => {
                return zoom_error(
                    StatusCode::BAD_REQUEST,
                    300,
                    "The next page token is invalid or expired.",
                );
            }
        },
    };
    let page_number = param("page_number")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|&p| p >= 1);

    let now = now_secs();
    let keep = |m: &Meeting| {
        let end = m.start.map(|s| s + m.duration * 60);
        match kind {
            // Instant meetings are never listed (spec: "only supports scheduled meetings").
            _ if m.kind == 1 => false,
            "live" => false,
            "upcoming" | "upcoming_meetings" => end.is_some_and(|e| e > now),
            "previous_meetings" => end.is_some_and(|e| e <= now),
            _ => true,
        }
    };
    let store = lock(&inner.store);
    let empty_index = BTreeSet::new();
    let index = store.by_host.get(&user.id).unwrap_or(&empty_index);
    let matching = || {
        index
            .iter()
            .filter_map(|(_, id)| store.meetings.get(id))
            .filter(|m| keep(m))
    };
    let total = matching().count();
    let skip = match (after, page_number) {
        (Some(key), _) => matching().take_while(|m| m.sort_key() <= key).count(),
        (None, Some(p)) => (p - 1).saturating_mul(page_size),
        (None, None) => 0,
    };
    let page: Vec<&Meeting> = matching().skip(skip).take(page_size).collect();
    let next_page_token = match page.last() {
        Some(last) if skip + page.len() < total => encode_page_token(last.sort_key()),
        _ => String::new(),
    };
    let meetings: Vec<Value> = page
        .iter()
        .map(|m| m.view(View::ListItem, &inner.settings_defaults, ""))
        .collect();
    drop(store);
    respond(
        StatusCode::OK,
        &json!({
            "page_size": page_size,
            "page_number": skip / page_size + 1,
            "page_count": total.div_ceil(page_size),
            "total_records": total,
            "next_page_token": next_page_token,
            "meetings": meetings,
        }),
    )
}
