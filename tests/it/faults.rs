//! Faults of Zoom, Discord and the disk, one at a time: each time the member is told what happened,
//! nothing is lost (no meeting exists that nobody knows of, none is made twice) and the next
//! command works.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::bot::{PATIENCE, TestBot, strings};
use support::fake_discord::{self, FakeDiscord, Member};
use support::fake_zoom::{CreateFailure, RateLimit, TokenFailure};
use zoombot::ids::{GuildId, MemberId};
use zoombot::store::{
    GuildSettings, MeetingChange, MeetingRecord, MemberPrefs, SettingsChange, SledStore, Store,
    StoreError,
};

const ALICE: u64 = 1_400_000_000_000_000_001;
const ADMIN: u64 = 1_400_000_000_000_000_003;

async fn meet(bot: &TestBot, member: u64, topic: &str) -> String {
    bot.meet(&Member::regular(member), strings(&[("topic", topic)]))
        .await
        .0
        .content
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoom_sign_in_failures_are_explained_and_the_bot_recovers_when_zoom_does() {
    let bot = TestBot::start().await;
    for (failure, says) in [
        (TokenFailure::Down, "can't be reached"),
        (TokenFailure::InvalidClient, "`zoombot doctor`"),
    ] {
        bot.zoom.set_token_failure(Some(failure));
        // The token fetched at start-up stops working too, so the bot must sign in again.
        bot.zoom.revoke_tokens();
        let answer = meet(&bot, ALICE, "During the outage").await;
        assert!(answer.contains(says), "{failure:?}: {answer}");
        assert_eq!(bot.zoom.meeting_count(), 0);
    }
    bot.zoom.set_token_failure(None);
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoom_5xx_and_timeouts_around_a_creation_leave_exactly_one_meeting_or_none() {
    let bot = TestBot::start_with(
        |config| config.zoom.request_timeout = Duration::from_millis(700),
        None,
    )
    .await;

    // Created, then 500: the client finds it and adopts it.
    bot.zoom
        .fail_next_creates(1, CreateFailure::AfterCreate(500));
    let adopted = meet(&bot, ALICE, "Created then 500").await;
    assert!(adopted.starts_with("Scheduled"), "{adopted}");
    assert_eq!(bot.zoom.meeting_count(), 1);

    // Created, but the answer never comes in time.
    bot.zoom.fail_next_creates(
        1,
        CreateFailure::SlowAfterCreate(Duration::from_millis(1500)),
    );
    let slow = meet(&bot, ALICE, "Created then silence").await;
    assert!(slow.starts_with("Scheduled"), "{slow}");
    assert_eq!(bot.zoom.meeting_count(), 2, "adopted, not made twice");

    // Refused with 503 on every one of its three sends: nothing exists, and the member is told
    // to check.
    bot.zoom
        .fail_next_creates(3, CreateFailure::BeforeCreate(503));
    let failed = meet(&bot, ALICE, "Never created").await;
    assert!(failed.contains("Look in Zoom"), "{failed}");
    assert_eq!(bot.zoom.meeting_count(), 2);

    // Reads are retried through a 500.
    let id = bot.zoom.meetings()[0]["id"].to_string();
    bot.zoom.fail_next(1, 500);
    let link = bot
        .run_sub(
            &Member::regular(ALICE),
            "meetings",
            "host-link",
            strings(&[("meeting", &id)]),
        )
        .await;
    assert!(link.content.contains("zak="), "{}", link.content);
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoom_rate_limits_are_waited_out_or_explained_with_their_reset() {
    let bot = TestBot::start().await;
    bot.zoom.rate_limit_next(
        1,
        RateLimit::PerSecond {
            retry_after_secs: 1,
        },
    );
    let waited = meet(&bot, ALICE, "After a 429").await;
    assert!(waited.starts_with("Scheduled"), "{waited}");

    bot.zoom.rate_limit_next(1, RateLimit::Daily);
    let daily = meet(&bot, ALICE, "Over the daily limit").await;
    assert!(
        daily.contains("daily limit") && daily.contains(":R>"),
        "{daily}"
    );
    assert_eq!(bot.zoom.meeting_count(), 1);
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_429s_on_the_acknowledgement_and_the_follow_up_are_waited_out() {
    let bot = TestBot::start().await;
    bot.discord.rate_limit_next_on("/callback", 1, 0.2);
    bot.discord.rate_limit_next_on("/webhooks/", 1, 0.2);

    let (id, token) = bot
        .slash(
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Through 429s")]),
        )
        .await;
    let answer = bot.answer(&token).await;

    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let ack = bot
        .discord
        .ack_latency(&id.to_string())
        .expect("acknowledged");
    assert!(ack < Duration::from_secs(3), "{ack:?}");
    assert!(
        bot.discord
            .wait_for(|d| d.followups(&token).len() == 1, PATIENCE)
            .await,
        "the public message was posted after its 429"
    );
    assert_eq!(bot.zoom.meeting_count(), 1);
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_token_that_expires_mid_meet_still_gets_the_host_link_and_the_public_message_out()
 {
    let bot = TestBot::start().await;
    bot.zoom.set_latency(Duration::from_millis(400));
    let (_, token) = bot
        .slash(
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Outlived its token")]),
        )
        .await;
    assert!(
        bot.discord
            .wait_for(|d| d.original(&token).is_some(), PATIENCE)
            .await
    );
    bot.discord.expire_token(&token);

    let told = bot
        .discord
        .wait_for(|d| !d.dms(ALICE).is_empty(), PATIENCE)
        .await;
    assert!(told, "the host link went by DM");
    assert!(bot.discord.dms(ALICE)[0].content.contains("zak="));
    let posted = bot
        .discord
        .wait_for(
            |d| {
                d.channel_messages(FakeDiscord::CHANNEL_ID)
                    .iter()
                    .any(|m| m.text().contains("Outlived its token"))
            },
            PATIENCE,
        )
        .await;
    assert!(posted, "the channel got the meeting");
    let public = bot
        .discord
        .channel_messages(FakeDiscord::CHANNEL_ID)
        .into_iter()
        .find(|m| m.text().contains("Outlived its token"))
        .expect("posted");
    assert!(!public.text().contains("zak="));
    assert_eq!(bot.zoom.meeting_count(), 1);

    // Recorded with that message: cancelling edits it.
    bot.zoom.set_latency(Duration::ZERO);
    let id = bot.zoom.meetings()[0]["id"].to_string();
    bot.run_sub(
        &Member::regular(ALICE),
        "meetings",
        "cancel",
        strings(&[("meeting", &id)]),
    )
    .await;
    assert!(
        bot.message_shows(public.id, "Cancelled").await,
        "the channel message shows the cancellation"
    );
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_acknowledged_too_late_creates_nothing_and_the_member_hears_why_by_dm() {
    let bot = TestBot::start().await;
    bot.discord.set_ack_deadline(Duration::ZERO);

    meet_without_answer(&bot, ALICE, "Too late").await;
    let told = bot
        .discord
        .wait_for(|d| !d.dms(ALICE).is_empty(), PATIENCE)
        .await;

    assert!(told);
    assert!(
        bot.discord.dms(ALICE)[0]
            .content
            .contains("nothing was done"),
        "{}",
        bot.discord.dms(ALICE)[0].content
    );
    assert_eq!(bot.zoom.meeting_count(), 0);
    assert!(
        bot.zoom
            .requests()
            .iter()
            .all(|r| r.method != "POST" || r.path.contains("oauth")),
        "no Zoom call"
    );
    bot.discord.set_ack_deadline(Duration::from_secs(3));
    bot.assert_still_serving().await;
}

/// Dispatches a /meet without waiting for an answer (there may be none).
async fn meet_without_answer(bot: &TestBot, member: u64, topic: &str) {
    let payload = fake_discord::slash_command(
        1_300_000_000_000_777_777,
        "no-answer-token",
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        &Member::regular(member),
        "meet",
        strings(&[("topic", topic)]),
    );
    bot.discord.dispatch_interaction(payload).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_drop_in_the_middle_of_a_meet_is_resumed_and_the_meet_completes() {
    let bot = TestBot::start().await;
    bot.zoom.set_latency(Duration::from_millis(500));
    let (_, token) = bot
        .slash(
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Across a reconnect")]),
        )
        .await;
    assert!(
        bot.discord
            .wait_for(|d| d.original(&token).is_some(), PATIENCE)
            .await
    );

    bot.discord.drop_connection().await;
    let answer = bot.answer(&token).await;
    let resumed = bot
        .discord
        .wait_for(|d| d.resume_count() >= 1 && d.is_ready(), PATIENCE)
        .await;

    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(resumed, "serenity resumed the session");
    assert!(
        bot.discord
            .wait_for(|d| d.followups(&token).len() == 1, PATIENCE)
            .await
    );
    bot.zoom.set_latency(Duration::ZERO);
    bot.assert_still_serving().await;
    assert_eq!(bot.zoom.meeting_count(), 2, "no meeting made twice");
}

/// The sled store, with writes that fail while `read_only` is set, as on a disk remounted
/// read-only.
struct ReadOnlyAtWill {
    inner: SledStore,
    read_only: AtomicBool,
}

impl ReadOnlyAtWill {
    fn check(&self) -> Result<(), StoreError> {
        if self.read_only.load(Ordering::SeqCst) {
            Err(StoreError::Backend(
                "Read-only file system (os error 30)".to_owned(),
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl Store for ReadOnlyAtWill {
    async fn put_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_meeting(record).await
    }
    async fn meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.inner.meeting(guild, zoom_id).await
    }
    async fn update_meeting(
        &self,
        guild: GuildId,
        zoom_id: i64,
        change: &MeetingChange,
    ) -> Result<Option<MeetingRecord>, StoreError> {
        self.check()?;
        self.inner.update_meeting(guild, zoom_id, change).await
    }
    async fn guild_meetings(&self, guild: GuildId) -> Result<Vec<MeetingRecord>, StoreError> {
        self.inner.guild_meetings(guild).await
    }
    async fn meetings_ending_after(
        &self,
        guild: GuildId,
        after: jiff::Timestamp,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.inner.meetings_ending_after(guild, after).await
    }
    async fn zoom_meeting(&self, zoom_id: i64) -> Result<Option<MeetingRecord>, StoreError> {
        self.inner.zoom_meeting(zoom_id).await
    }
    async fn due_reminders(
        &self,
        until: jiff::Timestamp,
        limit: usize,
    ) -> Result<Vec<MeetingRecord>, StoreError> {
        self.inner.due_reminders(until, limit).await
    }
    async fn next_reminder(&self) -> Result<Option<jiff::Timestamp>, StoreError> {
        self.inner.next_reminder().await
    }
    async fn receive_event(
        &self,
        key: &str,
        raw: &str,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.inner.receive_event(key, raw, at).await
    }
    async fn pending_events(
        &self,
        limit: usize,
    ) -> Result<Vec<zoombot::store::InboxEntry>, StoreError> {
        self.inner.pending_events(limit).await
    }
    async fn applied_event(&self, seq: u64) -> Result<(), StoreError> {
        self.inner.applied_event(seq).await
    }
    async fn put_pending_link(
        &self,
        key: &str,
        pending: &zoombot::store::PendingLink,
    ) -> Result<(), StoreError> {
        self.inner.put_pending_link(key, pending).await
    }
    async fn take_pending_link(
        &self,
        key: &str,
    ) -> Result<Option<zoombot::store::PendingLink>, StoreError> {
        self.inner.take_pending_link(key).await
    }
    async fn forget_pending_links(&self, before: jiff::Timestamp) -> Result<usize, StoreError> {
        self.inner.forget_pending_links(before).await
    }
    async fn member_link(
        &self,
        member: zoombot::ids::MemberId,
    ) -> Result<Option<zoombot::store::MemberLink>, StoreError> {
        self.inner.member_link(member).await
    }
    async fn put_member_link(&self, link: &zoombot::store::MemberLink) -> Result<(), StoreError> {
        self.inner.put_member_link(link).await
    }
    async fn put_unfinished(
        &self,
        unfinished: &zoombot::store::Unfinished,
    ) -> Result<(), StoreError> {
        self.inner.put_unfinished(unfinished).await
    }
    async fn unfinished(&self) -> Result<Vec<zoombot::store::Unfinished>, StoreError> {
        self.inner.unfinished().await
    }
    async fn claim_unfinished(&self, id: u64, from: &str, to: &str) -> Result<bool, StoreError> {
        self.inner.claim_unfinished(id, from, to).await
    }
    async fn finish_unfinished(&self, id: u64) -> Result<(), StoreError> {
        self.inner.finish_unfinished(id).await
    }
    async fn delete_member_link(
        &self,
        member: zoombot::ids::MemberId,
    ) -> Result<Option<zoombot::store::MemberLink>, StoreError> {
        self.inner.delete_member_link(member).await
    }
    async fn zoom_user_links(
        &self,
        zoom_user: &str,
    ) -> Result<Vec<zoombot::store::MemberLink>, StoreError> {
        self.inner.zoom_user_links(zoom_user).await
    }
    async fn forget_event_keys(&self, before: jiff::Timestamp) -> Result<usize, StoreError> {
        self.inner.forget_event_keys(before).await
    }
    async fn prune_meetings(&self, ended_before: jiff::Timestamp) -> Result<usize, StoreError> {
        self.inner.prune_meetings(ended_before).await
    }
    async fn take_daily(
        &self,
        counter: &str,
        day: jiff::civil::Date,
        limit: u32,
    ) -> Result<bool, StoreError> {
        // sled writes to memory first: a read-only disk fails the flush, not this.
        self.inner.take_daily(counter, day, limit).await
    }
    async fn give_back_daily(
        &self,
        counter: &str,
        day: jiff::civil::Date,
    ) -> Result<(), StoreError> {
        self.inner.give_back_daily(counter, day).await
    }
    async fn guild_settings(&self, guild: GuildId) -> Result<GuildSettings, StoreError> {
        self.inner.guild_settings(guild).await
    }
    async fn update_guild_settings(
        &self,
        guild: GuildId,
        change: SettingsChange<'_>,
    ) -> Result<GuildSettings, StoreError> {
        self.check()?;
        self.inner.update_guild_settings(guild, change).await
    }
    async fn member_prefs(&self, member: MemberId) -> Result<MemberPrefs, StoreError> {
        self.inner.member_prefs(member).await
    }
    async fn set_member_timezone(
        &self,
        member: MemberId,
        timezone: Option<&str>,
    ) -> Result<MemberPrefs, StoreError> {
        self.check()?;
        self.inner.set_member_timezone(member, timezone).await
    }
    fn coordination(&self) -> &dyn zoombot::store::Coordination {
        self.inner.coordination()
    }
    async fn flush(&self) -> Result<(), StoreError> {
        self.check()?;
        self.inner.flush().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_data_dir_is_reported_leaves_no_unrecorded_meeting_and_writes_resume_after() {
    let data = tempfile::tempdir().unwrap();
    let store = Arc::new(ReadOnlyAtWill {
        inner: SledStore::open(data.path()).unwrap(),
        read_only: AtomicBool::new(true),
    });
    let bot = TestBot::start_with(|_| {}, Some(Arc::clone(&store) as Arc<dyn Store>)).await;

    let refused = meet(&bot, ALICE, "Cannot be recorded").await;
    assert!(refused.contains("could not save"), "{refused}");
    assert_eq!(
        bot.zoom.meeting_count(),
        0,
        "the meeting nobody could find again was deleted"
    );
    let settings = bot
        .run_sub(
            &Member::admin(ADMIN),
            "meet-settings",
            "set",
            strings(&[("duration", "50m")]),
        )
        .await;
    assert!(
        settings.content.contains("could not save"),
        "{}",
        settings.content
    );

    store.read_only.store(false, Ordering::SeqCst);
    bot.assert_still_serving().await;
    assert_eq!(
        store
            .guild_settings(GuildId(FakeDiscord::GUILD_ID))
            .await
            .unwrap(),
        GuildSettings::default()
    );
}
