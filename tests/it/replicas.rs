//! Several replicas of the real binary on one PostgreSQL, in `DISCORD_MODE=http`, as behind a
//! load balancer: each interaction is posted, signed as Discord signs it, to the replica a test
//! picks. What one replica did, every other one sees; the same change or cancel from two at once
//! lands once; a reminder is posted by exactly one; a replica that stopped holding a reminder's
//! claim is taken over once the claim runs out; a replica killed with SIGKILL leaves the others serving.

use std::net::SocketAddr;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use zoombot::ids::GuildId;
use zoombot::store::{PgStore, Store};

use crate::support::bot::{PATIENCE, strings, subcommand};
use crate::support::discord_signature;
use crate::support::fake_discord::{self, FakeDiscord, Member};
use crate::support::fake_zoom::FakeZoom;
use crate::support::{binary_command, binary_env, capture_stderr, listening_addr, postgres};

const ALICE: u64 = 1_400_000_000_000_000_301;
const BOB: u64 = 1_400_000_000_000_000_302;

/// One replica: the binary, its log, its HTTP address.
struct Replica {
    child: Child,
    log: Arc<Mutex<String>>,
    addr: SocketAddr,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The replicas, their fakes and their database.
struct Replicas {
    discord: FakeDiscord,
    zoom: FakeZoom,
    database: String,
    running: Vec<Replica>,
    next_id: std::sync::atomic::AtomicU64,
    root: tempfile::TempDir,
}

impl Replicas {
    /// `n` replicas on a fresh database, each serving `/healthz`; `None` (after the support's
    /// notice) without PostgreSQL.
    async fn start(n: usize) -> Option<Self> {
        let database = postgres::database().await?.url;
        let discord = FakeDiscord::start().await;
        let zoom = FakeZoom::start().await;
        let root = tempfile::tempdir().expect("temporary dir");
        let mut replicas = Self {
            discord,
            zoom,
            database,
            running: Vec::new(),
            next_id: std::sync::atomic::AtomicU64::new(1_300_000_000_000_000_000),
            root,
        };
        for _ in 0..n {
            replicas.add().await;
        }
        Some(replicas)
    }

    /// Starts one more replica and waits until it serves.
    async fn add(&mut self) {
        let key = discord_signature::public_key_hex();
        let data_dir = self.root.path().join(self.running.len().to_string());
        let mut env = binary_env(&self.discord, &self.zoom, &data_dir);
        env.push(("RUST_LOG", "info".to_owned()));
        let extra = [
            ("DATABASE_URL", self.database.as_str()),
            ("DISCORD_MODE", "http"),
            ("DISCORD_PUBLIC_KEY", key.as_str()),
        ];
        let mut child = binary_command(env, &extra, self.root.path())
            .spawn()
            .expect("start the binary");
        let log = capture_stderr(&mut child);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let addr = loop {
            let text = log.lock().unwrap().clone();
            if let Some(addr) = listening_addr(&text) {
                break addr;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "a replica did not start listening: {text}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let replica = Replica { child, log, addr };
        assert!(healthy(addr).await, "a replica did not become healthy");
        self.running.push(replica);
    }

    fn next(&self) -> (u64, String) {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (id, format!("replica-token-{id}"))
    }

    /// Delivers `payload` to replica `r` as Discord would: status, and a 200's body taken as the
    /// interaction's first response at the fake.
    async fn deliver_to(&self, r: usize, payload: &Value) -> u16 {
        let body = payload.to_string().into_bytes();
        let (status, text) = discord_signature::post_signed(self.running[r].addr, &body).await;
        if status == 200 {
            let response: Value = serde_json::from_str(&text).expect("a JSON response");
            let id = payload["id"].as_str().unwrap_or_default();
            self.discord.take_http_response(id, &response);
        }
        status
    }

    /// A slash command from `member` in the fake's server, delivered to replica `r`: its token
    /// once the private answer is in.
    async fn slash(&self, r: usize, member: &Member, name: &str, options: Value) -> String {
        let (id, token) = self.next();
        let payload = self
            .discord
            .prepare_http_interaction(fake_discord::slash_command_here(
                id, &token, member, name, options,
            ));
        assert_eq!(self.deliver_to(r, &payload).await, 200);
        self.answered(&token).await
    }

    /// The private answer's text, once it is in.
    async fn answered(&self, token: &str) -> String {
        let done = |d: &FakeDiscord| d.original(token).is_some_and(|m| !m.thinking);
        assert!(
            self.discord.wait_for(done, PATIENCE).await,
            "no answer for {token}; the replicas' logs:\n{}",
            self.logs()
        );
        self.discord.original(token).expect("answered").text()
    }

    /// Every replica's log, for a failure's message.
    fn logs(&self) -> String {
        self.running
            .iter()
            .enumerate()
            .map(|(r, replica)| format!("--- replica {r}\n{}", replica.log.lock().unwrap()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A /meet on every replica: each one's scheduler looks at the due reminders at once.
    async fn nudge(&self, member: &Member, round: &str) {
        for r in 0..self.running.len() {
            let topic = format!("Nudge {round} {r}");
            let options = strings(&[("topic", topic.as_str()), ("when", "in 5h")]);
            let made = self.slash(r, member, "meet", options).await;
            assert!(made.starts_with("Scheduled"), "{made}");
        }
    }

    async fn store(&self) -> PgStore {
        PgStore::connect(&self.database, 2)
            .await
            .expect("the replicas' database")
    }
}

async fn healthy(addr: SocketAddr) -> bool {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        let ok = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn meeting_id(answer: &str) -> i64 {
    answer
        .split("zoom.us/s/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no host link in {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_replica_records_the_other_sees_and_an_interaction_is_taken_once() {
    let Some(replicas) = Replicas::start(2).await else {
        return;
    };
    let alice = Member::regular(ALICE);
    let made = replicas
        .slash(0, &alice, "meet", strings(&[("topic", "Shared sync")]))
        .await;
    assert!(made.starts_with("Scheduled"), "{made}");

    let listed = replicas
        .slash(1, &alice, "meetings", subcommand("list", json!([])))
        .await;
    assert!(listed.contains("Shared sync"), "{listed}");

    // Discord retrying a delivery lands on another replica: it is refused there.
    let (id, token) = replicas.next();
    let payload = replicas
        .discord
        .prepare_http_interaction(fake_discord::slash_command_here(
            id,
            &token,
            &alice,
            "meet",
            strings(&[("topic", "Once")]),
        ));
    let (first, second) = tokio::join!(
        replicas.deliver_to(0, &payload),
        replicas.deliver_to(1, &payload)
    );
    let mut statuses = [first, second];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 409],
        "one replica takes it, the other refuses"
    );
    assert!(replicas.answered(&token).await.starts_with("Scheduled"));
    assert_eq!(replicas.zoom.meeting_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_settings_change_and_the_same_cancel_from_two_replicas_land_once() {
    let Some(replicas) = Replicas::start(2).await else {
        return;
    };
    let admin = Member::admin(1_400_000_000_000_000_001);
    let (a, b) = tokio::join!(
        replicas.slash(
            0,
            &admin,
            "meet-settings",
            subcommand("set", strings(&[("duration", "45m")]))
        ),
        replicas.slash(
            1,
            &admin,
            "meet-settings",
            subcommand("set", strings(&[("timezone", "Europe/Berlin")]))
        ),
    );
    let _ = (a, b);
    let settings = replicas
        .store()
        .await
        .guild_settings(GuildId(FakeDiscord::GUILD_ID))
        .await
        .unwrap();
    assert_eq!(
        settings.duration_minutes,
        Some(45),
        "neither undid the other"
    );
    assert_eq!(settings.timezone.as_deref(), Some("Europe/Berlin"));

    let alice = Member::regular(ALICE);
    let made = replicas
        .slash(0, &alice, "meet", strings(&[("topic", "Cancel me")]))
        .await;
    let id = meeting_id(&made).to_string();
    let cancel = || subcommand("cancel", strings(&[("meeting", id.as_str())]));
    let (a, b) = tokio::join!(
        replicas.slash(0, &alice, "meetings", cancel()),
        replicas.slash(1, &alice, "meetings", cancel()),
    );
    // Whichever came second found it cancelled, or gone from Zoom: either way it says so.
    for answer in [&a, &b] {
        assert!(
            answer.starts_with("Cancelled") || answer.contains("already cancelled"),
            "{a} / {b}"
        );
    }
    assert!(a.starts_with("Cancelled") || b.starts_with("Cancelled"));
    assert_eq!(replicas.zoom.meeting_count(), 0, "gone from Zoom");
    let record = replicas
        .store()
        .await
        .meeting(GuildId(FakeDiscord::GUILD_ID), meeting_id(&made))
        .await
        .unwrap()
        .expect("recorded");
    assert!(record.cancelled);
}

/// Makes meeting `id`'s reminder due in a moment, as if it had been scheduled with a lead that
/// ends now; with `claimed`, held that long by a replica that stopped. The due time.
async fn due_now(
    store: &PgStore,
    id: i64,
    claimed: Option<jiff::SignedDuration>,
) -> jiff::Timestamp {
    let guild = GuildId(FakeDiscord::GUILD_ID);
    let mut record = store.meeting(guild, id).await.unwrap().expect("recorded");
    let now = jiff::Timestamp::now();
    let due = jiff::Timestamp::from_second(now.as_second()).unwrap();
    // Whole minutes, rounded up: due at most a minute before now, so at once.
    let minutes = (record.start.duration_since(due).as_secs() + 59) / 60;
    record.reminder_minutes = Some(u32::try_from(minutes).unwrap());
    record.reminder_due = Some(due);
    if let Some(claimed) = claimed {
        let claim = format!("reminder:{}:{id}:{}", guild.0, due.as_second());
        let taken =
            store
                .coordination()
                .take_lease(&claim, "a replica that stopped", due + claimed, due);
        assert!(taken.await.unwrap());
    }
    store.put_meeting(&record).await.unwrap();
    due
}

/// The reminders of `topic` posted in the fake's channel.
fn reminders_of(discord: &FakeDiscord, topic: &str) -> usize {
    discord
        .channel_messages(FakeDiscord::CHANNEL_ID)
        .iter()
        .filter(|m| m.content.starts_with("⏰") && m.content.contains(topic))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_due_on_two_replicas_is_posted_once_and_a_stopped_claim_is_taken_over() {
    let Some(mut replicas) = Replicas::start(2).await else {
        return;
    };
    let admin = Member::admin(1_400_000_000_000_000_001);
    replicas
        .slash(
            0,
            &admin,
            "meet-settings",
            subcommand("set", strings(&[("reminder", "10m"), ("cooldown", "off")])),
        )
        .await;
    let alice = Member::regular(ALICE);
    let made = replicas
        .slash(
            1,
            &alice,
            "meet",
            strings(&[("topic", "Soon"), ("when", "in 30m")]),
        )
        .await;
    assert!(made.starts_with("Scheduled"), "{made}");
    let store = replicas.store().await;
    due_now(&store, meeting_id(&made), None).await;
    // A /meet on each replica makes its scheduler look at once: both find it due.
    replicas.nudge(&alice, "first").await;
    let posted = |d: &FakeDiscord| reminders_of(d, "Soon") >= 1;
    assert!(
        replicas.discord.wait_for(posted, PATIENCE).await,
        "no reminder"
    );

    // A third replica, and Bob's reminder due now but claimed by a replica that stopped: nobody
    // posts it until the claim runs out, then exactly one replica does.
    replicas.add().await;
    let bob = Member::regular(BOB);
    let made = replicas
        .slash(
            2,
            &bob,
            "meet",
            strings(&[("topic", "Later"), ("when", "in 30m")]),
        )
        .await;
    let claimed_for = jiff::SignedDuration::from_secs(8);
    let due = due_now(&store, meeting_id(&made), Some(claimed_for)).await;
    replicas.nudge(&alice, "second").await;
    let later = |d: &FakeDiscord| reminders_of(d, "Later");
    assert!(
        replicas
            .discord
            .wait_for(|d| later(d) >= 1, Duration::from_secs(45))
            .await,
        "the claim was never taken over"
    );
    assert!(
        jiff::Timestamp::now() >= due + claimed_for,
        "posted while another replica's claim held"
    );
    // Posted once, whichever replica took it over.
    assert!(
        !replicas
            .discord
            .wait_for(|d| later(d) > 1, Duration::from_secs(2))
            .await,
        "a reminder was posted twice"
    );
    assert_eq!(reminders_of(&replicas.discord, "Soon"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_replica_leaves_the_others_serving_and_a_new_one_joins() {
    let Some(mut replicas) = Replicas::start(2).await else {
        return;
    };
    let alice = Member::regular(ALICE);
    let made = replicas
        .slash(0, &alice, "meet", strings(&[("topic", "Before")]))
        .await;
    assert!(made.starts_with("Scheduled"), "{made}");
    replicas.running[0].child.kill().expect("SIGKILL");
    let _ = replicas.running[0].child.wait();

    let after = replicas
        .slash(1, &alice, "meet", strings(&[("topic", "After")]))
        .await;
    assert!(after.starts_with("Scheduled"), "{after}");
    replicas.add().await;
    let listed = replicas
        .slash(2, &alice, "meetings", subcommand("list", json!([])))
        .await;
    assert!(
        listed.contains("Before") && listed.contains("After"),
        "{listed}"
    );
    let log = replicas.running[2].log.lock().unwrap().clone();
    assert!(!log.contains("ERROR"), "{log}");
}
