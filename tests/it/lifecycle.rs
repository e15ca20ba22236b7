//! A meeting's life after the create, through the real client and the fakes: its Discord event
//! (made, moved, deleted, and what happens when Discord refuses), its reminder (posted once, as
//! a reply, mentioning exactly who it should) and `/meetings reschedule`.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use support::bot::{PATIENCE, TestBot, strings};
use support::fake_discord::{FakeDiscord, Member};
use zoombot::ids::GuildId;
use zoombot::store::{MeetingRecord, MemoryStore, Store};

const ALICE: u64 = 1_400_000_000_000_000_001;
const BOB: u64 = 1_400_000_000_000_000_002;
const GUILD: u64 = FakeDiscord::GUILD_ID;

/// Who asks, with which options, and what the answer must say.
type Case<'a> = (u64, &'a [(&'a str, &'a str)], &'a str);

async fn bot() -> (TestBot, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let bot = TestBot::start_with(|_| {}, Some(Arc::clone(&store) as Arc<dyn Store>)).await;
    (bot, store)
}

/// The Zoom meeting id in a meeting's public message ("857 4606 5432").
fn meeting_id(public: &support::fake_discord::Message) -> i64 {
    let text = public.text();
    let start = text.find("\"Meeting ID\"").expect("an id field");
    let value = &text[start..];
    let value = value.split("\"value\":\"").nth(1).expect("its value");
    value
        .split('"')
        .next()
        .unwrap()
        .replace(' ', "")
        .parse()
        .expect("digits")
}

async fn record(store: &MemoryStore, id: i64) -> MeetingRecord {
    store
        .meeting(GuildId(GUILD), id)
        .await
        .unwrap()
        .expect("recorded")
}

/// Alice's meeting of `topic` starting `when`: its public message and record.
async fn meeting(bot: &TestBot, store: &MemoryStore, topic: &str, when: &str) -> MeetingRecord {
    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", topic), ("when", when), ("timezone", "UTC")]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let id = meeting_id(&public.expect("posted"));
    // The public message is noted right after it is posted.
    wait_until(
        || async { record(store, id).await.message.is_some() },
        "message never noted",
    )
    .await;
    record(store, id).await
}

/// Makes the meeting's reminder due in a moment: as if it had been scheduled with a lead that
/// ends now. The scheduler sleeps until the soonest due time it knows, so it is woken as any
/// new reminder wakes it: by another meeting.
async fn due_now(bot: &TestBot, store: &MemoryStore, id: i64) {
    let mut r = record(store, id).await;
    let soon = Timestamp::now() + SignedDuration::from_millis(300);
    // Whole minutes, rounded up: due at most a minute before `soon`, so at once.
    let minutes = (r.start.duration_since(soon).as_secs() + 59) / 60;
    r.reminder_minutes = Some(u32::try_from(minutes).unwrap());
    r.reminder_due = Some(soon);
    store.put_meeting(&r).await.unwrap();
    let (answer, _) = bot
        .meet(
            &Member::regular(BOB),
            strings(&[("topic", "wake-up"), ("when", "in 5h")]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
}

/// `/meetings <sub> meeting:<id>` with `options`, as Alice; the private answer.
async fn on_meeting(
    bot: &TestBot,
    sub: &str,
    id: i64,
    options: &[(&str, &str)],
) -> support::fake_discord::Message {
    let id = id.to_string();
    let mut all = vec![("meeting", id.as_str())];
    all.extend_from_slice(options);
    bot.run_sub(&Member::regular(ALICE), "meetings", sub, strings(&all))
        .await
}

/// Waits until `done` (the bot writes its records right after it answers).
async fn wait_until<F: std::future::Future<Output = bool>>(done: impl Fn() -> F, what: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The reminders posted in the test channel.
fn reminders(bot: &TestBot) -> Vec<support::fake_discord::Message> {
    bot.discord
        .channel_messages(FakeDiscord::CHANNEL_ID)
        .into_iter()
        .filter(|m| m.content.starts_with('⏰'))
        .collect()
}

async fn reminded(bot: &TestBot, n: usize) -> bool {
    bot.discord
        .wait_for(
            |d| {
                d.channel_messages(FakeDiscord::CHANNEL_ID)
                    .iter()
                    .filter(|m| m.content.starts_with('⏰'))
                    .count()
                    >= n
            },
            PATIENCE,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_is_an_external_event_that_moves_with_a_reschedule_and_goes_with_a_cancel() {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Weekly sync", "in 3 days 15:00").await;
    let event = r.event.expect("the meeting has an event");
    let listed = bot
        .discord
        .scheduled_event(GUILD, event)
        .expect("in Discord");
    assert_eq!(listed["entity_type"], 3);
    assert_eq!(listed["privacy_level"], 2);
    assert_eq!(listed["name"], "Weekly sync");
    let location = listed["entity_metadata"]["location"].as_str().unwrap();
    assert!(location.contains("/j/"), "{location}");
    assert!(
        listed["description"]
            .as_str()
            .unwrap()
            .contains("Zoom meeting ID")
    );
    let public = bot.discord.message(r.message.unwrap().0).unwrap();
    assert!(
        public
            .text()
            .contains(&format!("discord.com/events/{GUILD}/{event}")),
        "the message links to its event: {}",
        public.text()
    );

    let moved = on_meeting(
        &bot,
        "reschedule",
        r.zoom_id,
        &[("when", "in 4 days 16:30"), ("timezone", "UTC")],
    )
    .await;
    assert!(moved.content.starts_with("Moved"), "{}", moved.content);
    let after = record(&store, r.zoom_id).await;
    assert_eq!(
        after.start.duration_since(r.start),
        SignedDuration::from_mins(25 * 60 + 30)
    );
    let listed = bot.discord.scheduled_event(GUILD, event).unwrap();
    let start: Timestamp = listed["scheduled_start_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(start, after.start);
    let zoom_start = bot.zoom.meeting(r.zoom_id).unwrap()["start_time"].clone();
    assert_eq!(
        zoom_start.as_str().unwrap().parse::<Timestamp>().unwrap(),
        after.start
    );
    assert!(
        bot.message_shows(r.message.unwrap().0, "Rescheduled by")
            .await
    );

    let cancelled = on_meeting(&bot, "cancel", r.zoom_id, &[]).await;
    assert!(
        cancelled.content.starts_with("Cancelled"),
        "{}",
        cancelled.content
    );
    assert!(
        bot.discord
            .wait_for(|d| d.scheduled_event(GUILD, event).is_none(), PATIENCE)
            .await,
        "the event went with the meeting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_starting_now_gets_no_event_and_no_word_about_one() {
    let (bot, store) = bot().await;
    let (answer, public) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "Right now")]))
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(!answer.content.contains("Events"), "{}", answer.content);
    let id = meeting_id(&public.expect("posted"));
    assert_eq!(record(&store, id).await.event, None);
    assert!(bot.discord.scheduled_events(GUILD).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_create_events_the_meeting_is_made_and_the_answer_says_what_is_missing() {
    let (bot, store) = bot().await;
    bot.discord.deny_create_events(GUILD, true);

    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "No event"), ("when", "in 2 days")]),
        )
        .await;

    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(
        answer.content.contains("Create Events"),
        "{}",
        answer.content
    );
    let id = meeting_id(&public.expect("still announced"));
    assert_eq!(record(&store, id).await.event, None);
    assert!(bot.discord.scheduled_events(GUILD).is_empty());
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_create_events_a_reschedule_and_a_cancel_still_happen_and_say_the_event_could_not_follow()
 {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Kept", "in 3 days 10:00").await;
    let event = r.event.expect("an event");
    bot.discord.deny_create_events(GUILD, true);

    let moved = on_meeting(
        &bot,
        "reschedule",
        r.zoom_id,
        &[("when", "in 4 days 10:00")],
    )
    .await;
    assert!(moved.content.starts_with("Moved"), "{}", moved.content);
    assert!(moved.content.contains("Create Events"), "{}", moved.content);
    let cancelled = on_meeting(&bot, "cancel", r.zoom_id, &[]).await;
    assert!(
        cancelled.content.starts_with("Cancelled"),
        "{}",
        cancelled.content
    );
    assert!(
        cancelled.content.contains("Create Events"),
        "{}",
        cancelled.content
    );
    assert!(
        bot.zoom.meeting(r.zoom_id).is_none(),
        "gone from Zoom all the same"
    );
    assert!(bot.discord.scheduled_event(GUILD, event).is_some());
    bot.discord.deny_create_events(GUILD, false);
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_discords_cap_of_active_events_the_answer_says_so() {
    let (bot, _) = bot().await;
    let http = reqwest::Client::new();
    let start = (Timestamp::now() + SignedDuration::from_hours(48)).to_string();
    let end = (Timestamp::now() + SignedDuration::from_hours(49)).to_string();
    for i in 0..100 {
        let made = http
            .post(format!(
                "{}/api/v10/guilds/{GUILD}/scheduled-events",
                bot.discord.url()
            ))
            .header("Authorization", format!("Bot {}", FakeDiscord::BOT_TOKEN))
            .json(&serde_json::json!({
                "name": format!("other {i}"), "privacy_level": 2, "entity_type": 3,
                "entity_metadata": {"location": "elsewhere"},
                "scheduled_start_time": start, "scheduled_end_time": end,
            }))
            .send()
            .await
            .unwrap();
        assert!(made.status().is_success(), "{}", made.text().await.unwrap());
    }

    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "One too many"), ("when", "in 2 days")]),
        )
        .await;

    assert!(public.is_some());
    assert!(
        answer.content.contains("maximum of 100"),
        "{}",
        answer.content
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_a_moderator_deleted_leaves_reschedule_and_cancel_working() {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Moderated", "in 3 days 10:00").await;
    bot.discord
        .delete_event_as_moderator(GUILD, r.event.expect("an event"));

    let moved = on_meeting(
        &bot,
        "reschedule",
        r.zoom_id,
        &[("when", "in 5 days 10:00")],
    )
    .await;
    assert!(moved.content.starts_with("Moved"), "{}", moved.content);
    wait_until(
        || async { record(&store, r.zoom_id).await.event.is_none() },
        "the gone event was never forgotten",
    )
    .await;
    let cancelled = on_meeting(&bot, "cancel", r.zoom_id, &[]).await;
    assert!(
        cancelled.content.starts_with("Cancelled"),
        "{}",
        cancelled.content
    );
    assert!(bot.zoom.meeting(r.zoom_id).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reschedule_by_another_member_to_the_past_or_into_a_dst_gap_is_refused_with_the_reason() {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Fixed", "in 3 days 10:00").await;
    let id = r.zoom_id.to_string();
    let cases: [Case; 3] = [
        (
            BOB,
            &[("when", "in 4 days")],
            "Only the member who scheduled",
        ),
        (ALICE, &[("when", "2026-01-05 10:00")], "already passed"),
        (
            ALICE,
            &[("when", "2027-03-28 02:30"), ("timezone", "Europe/Berlin")],
            "clocks",
        ),
    ];
    for (member, options, says) in cases {
        let mut all = vec![("meeting", id.as_str())];
        all.extend_from_slice(options);
        let answer = bot
            .run_sub(
                &Member::regular(member),
                "meetings",
                "reschedule",
                strings(&all),
            )
            .await;
        assert!(
            answer.content.contains(says),
            "{options:?}: {}",
            answer.content
        );
    }
    assert_eq!(
        record(&store, r.zoom_id).await.start,
        r.start,
        "nothing moved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_replies_to_the_meeting_with_a_join_button_mentioning_the_creator_and_the_interested()
 {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Standup", "in 2h").await;
    assert!(bot.discord.add_interested(GUILD, r.event.unwrap(), BOB));

    due_now(&bot, &store, r.zoom_id).await;

    assert!(reminded(&bot, 1).await, "no reminder");
    let reminder = reminders(&bot).remove(0);
    assert!(reminder.content.contains("Standup"), "{}", reminder.content);
    assert!(
        reminder
            .content
            .contains(&format!("<t:{}:R>", r.start.as_second())),
        "{}",
        reminder.content
    );
    let mentions = reminder
        .allowed_mentions
        .clone()
        .expect("explicit mentions");
    let mut users: Vec<String> = mentions["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().map_or_else(|| u.to_string(), str::to_owned))
        .collect();
    users.sort();
    assert_eq!(users, [ALICE.to_string(), BOB.to_string()]);
    assert_eq!(mentions["parse"], Value::Array(vec![]));
    let reference = reminder.reference.clone().expect("a reply");
    assert_eq!(
        reference["message_id"].as_str().unwrap(),
        r.message.unwrap().0.to_string()
    );
    assert!(reminder.text().contains("\"Join\""), "{}", reminder.text());
    // Noted as posted right after the post.
    wait_until(
        || async { record(&store, r.zoom_id).await.reminded == Some(r.start) },
        "never noted as posted",
    )
    .await;
    assert_eq!(record(&store, r.zoom_id).await.reminder_due, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_met_by_a_5xx_is_posted_once_and_one_for_a_deleted_channel_is_dropped() {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Flaky", "in 2h").await;
    bot.discord.rate_limit_next_on("/channels/", 1, 0.05);
    bot.discord
        .fail_next_with("/channels/", 500, 0, "500: Internal Server Error");

    due_now(&bot, &store, r.zoom_id).await;

    assert!(reminded(&bot, 1).await, "retried after the 5xx");
    let gone = meeting(&bot, &store, "Gone", "in 2h").await;
    bot.discord.delete_channel(FakeDiscord::CHANNEL_ID);
    due_now(&bot, &store, gone.zoom_id).await;
    wait_until(
        || async { record(&store, gone.zoom_id).await.reminder_due.is_none() },
        "never given up on",
    )
    .await;
    assert_eq!(
        reminders(&bot).len(),
        1,
        "one reminder for the flaky meeting, none doubled"
    );
    assert_eq!(
        record(&store, gone.zoom_id).await.reminded,
        Some(gone.start)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_for_a_channel_the_bot_was_removed_from_is_dropped_and_the_bot_goes_on() {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Hidden", "in 2h").await;
    bot.discord.deny_channel(FakeDiscord::CHANNEL_ID, true);

    due_now(&bot, &store, r.zoom_id).await;

    wait_until(
        || async { record(&store, r.zoom_id).await.reminder_due.is_none() },
        "never given up on",
    )
    .await;
    assert!(reminders(&bot).is_empty());
    bot.discord.deny_channel(FakeDiscord::CHANNEL_ID, false);
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one series' life, read top to bottom
async fn a_weekly_series_is_one_recurring_zoom_meeting_shown_with_its_rule_and_cancelled_one_meeting_at_a_time()
 {
    let (bot, store) = bot().await;
    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[
                ("topic", "Weekly sync"),
                ("when", "monday 15:00"),
                ("timezone", "Europe/Berlin"),
                ("repeat", "weekly"),
            ])
            .as_array()
            .unwrap()
            .iter()
            .cloned()
            .chain([serde_json::json!({"name": "occurrences", "type": 4, "value": 6})])
            .collect(),
        )
        .await;
    assert!(
        answer
            .content
            .contains("It repeats every Monday at 15:00 Europe/Berlin, 6 times"),
        "{}",
        answer.content
    );
    let public = public.expect("posted");
    assert!(
        public
            .text()
            .contains("every Monday at 15:00 Europe/Berlin, 6 times"),
        "{}",
        public.text()
    );
    assert!(
        public.text().contains("calendar.google.com"),
        "{}",
        public.text()
    );
    let id = meeting_id(&public);
    let at_zoom = bot.zoom.meeting(id).unwrap();
    assert_eq!(at_zoom["type"], 8);
    assert_eq!(at_zoom["recurrence"]["type"], 2);
    assert_eq!(at_zoom["occurrences"].as_array().unwrap().len(), 6);
    let r = record(&store, id).await;
    let starts = r.occurrences();
    // 15:00 in Berlin every week, winter and summer alike.
    for start in &starts {
        let berlin = start.to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
        assert_eq!((berlin.hour(), berlin.minute()), (15, 0), "{berlin}");
    }

    let cancelled = on_meeting(&bot, "cancel", id, &[]).await;
    assert!(
        cancelled.content.contains("the rest of the series goes on"),
        "{}",
        cancelled.content
    );
    let at_zoom = bot.zoom.meeting(id).unwrap();
    let deleted = at_zoom["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "deleted")
        .count();
    let left = at_zoom["occurrences"].as_array().unwrap().len();
    assert!(
        deleted == 1 || left == 5,
        "one occurrence deleted: {at_zoom}"
    );
    let after = record(&store, id).await;
    assert_eq!(after.occurrences(), starts[1..]);
    let event = bot
        .discord
        .scheduled_event(GUILD, after.event.unwrap())
        .unwrap();
    let event_start: Timestamp = event["scheduled_start_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        event_start, starts[1],
        "the event moved to the next meeting"
    );

    let listed = bot
        .run_sub(&Member::regular(ALICE), "meetings", "list", strings(&[]))
        .await;
    let text = listed.text();
    assert_eq!(
        text.matches("Weekly sync").count(),
        1,
        "a series is listed once: {text}"
    );
    assert!(
        text.contains(&format!("<t:{}:F>", starts[1].as_second())),
        "{text}"
    );

    let all = on_meeting(&bot, "cancel", id, &[("which", "all")]).await;
    assert!(
        all.content.starts_with("Cancelled **Weekly sync**"),
        "{}",
        all.content
    );
    assert!(bot.zoom.meeting(id).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_of_the_wrong_size_or_without_a_start_is_refused_and_nothing_is_made() {
    let (bot, _) = bot().await;
    let count = |n: i64| {
        serde_json::json!([
            {"name": "topic", "type": 3, "value": "Series"},
            {"name": "when", "type": 3, "value": "monday 10:00"},
            {"name": "repeat", "type": 3, "value": "daily"},
            {"name": "occurrences", "type": 4, "value": n},
        ])
    };
    for (options, says) in [
        (count(0), "occurrences"),
        (count(61), "occurrences"),
        (
            strings(&[("topic", "Series"), ("repeat", "weekly")]),
            "needs its first start",
        ),
    ] {
        let (answer, public) = bot.meet(&Member::regular(ALICE), options.clone()).await;
        assert!(public.is_none(), "{options}");
        assert!(
            answer.content.contains(says),
            "{options}: {}",
            answer.content
        );
    }
    assert_eq!(bot.zoom.meeting_count(), 0);
    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_comes_as_a_calendar_file_with_its_join_link_and_never_its_host_link() {
    let (bot, store) = bot().await;
    let r = meeting(&bot, &store, "Planning", "in 3 days 09:00").await;

    let (_, token) = bot
        .slash(
            &Member::regular(ALICE),
            "meetings",
            support::bot::subcommand("calendar", strings(&[("meeting", &r.zoom_id.to_string())])),
        )
        .await;
    let answer = bot.answer(&token).await;

    assert!(
        answer.content.contains("calendar file"),
        "{}",
        answer.content
    );
    let sent = bot
        .discord
        .requests()
        .into_iter()
        .rev()
        .find(|q| q.path.contains(&token) && !q.files.is_empty())
        .expect("the answer carried a file");
    let (name, ics) = &sent.files[0];
    assert!(
        std::path::Path::new(name)
            .extension()
            .is_some_and(|e| e == "ics"),
        "{name}"
    );
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains("SUMMARY:Planning"), "{ics}");
    assert!(
        ics.contains(&format!("DTSTART:{}", r.start.strftime("%Y%m%dT%H%M%SZ"))),
        "{ics}"
    );
    let join = bot.zoom.meeting(r.zoom_id).unwrap()["join_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ics.replace("\r\n ", "").contains(&join), "{ics}");
    assert!(
        !ics.contains("zak=") && !ics.contains("/s/"),
        "no host link: {ics}"
    );
}
