//! The bot end to end: the real serenity client against the fake Discord, the real Zoom client
//! against the fake Zoom.

use crate::support;
use crate::support::specs::DiscordSpec;

use serde_json::{Value, json};
use support::bot::{TestBot, strings};
use support::fake_discord::{FakeDiscord, Member};
use support::fake_zoom::{FakeZoom, RateLimit};

const ALICE: u64 = 1_400_000_000_000_000_001;
const BOB: u64 = 1_400_000_000_000_000_002;
const ADMIN: u64 = 1_400_000_000_000_000_003;

fn next_year() -> i16 {
    jiff::Zoned::now().year() + 1
}

/// 02:30 on the last Sunday of March next year: a time Berlin skips.
fn dst_gap() -> String {
    let day = (25..=31)
        .rev()
        .map(|d| jiff::civil::date(next_year(), 3, d))
        .find(|d| d.weekday() == jiff::civil::Weekday::Sunday)
        .expect("March has a last Sunday");
    format!("{day} 02:30")
}

fn zoom_creates(zoom: &FakeZoom) -> usize {
    zoom.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/meetings"))
        .count()
}

fn button<'a>(message: &'a support::fake_discord::Message, label: &str) -> &'a Value {
    message.components[0]["components"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["label"] == label))
        .unwrap_or_else(|| panic!("no {label} button in {:?}", message.components))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_identifies_with_guilds_only_and_registers_its_commands() {
    let bot = TestBot::start().await;

    let identify = bot.discord.identify_payload().expect("identified");
    assert_eq!(identify["intents"], 1, "GUILDS only, nothing privileged");
    for scope in [None, Some(FakeDiscord::GUILD_ID)] {
        let commands = bot.discord.registered_commands(scope);
        let names: Vec<_> = commands
            .iter()
            .map(|c| c["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            ["meet", "meetings", "meet-settings", "meet-timezone", "zoom"],
            "{scope:?}"
        );
        let meet = &commands[0];
        let options: Vec<_> = meet["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            options,
            [
                "topic",
                "duration",
                "when",
                "timezone",
                "agenda",
                "passcode",
                "waiting_room",
                "recording",
                "repeat",
                "occurrences"
            ]
        );
        assert_eq!(meet["options"][0]["required"], true);
        assert_eq!(meet["options"][0]["max_length"], 200);
        assert_eq!(meet["options"][3]["autocomplete"], true);
        let subs: Vec<_> = commands[1]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            subs,
            ["list", "cancel", "reschedule", "calendar", "host-link"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meet_creates_the_meeting_posts_the_join_link_and_gives_the_host_link_privately() {
    let bot = TestBot::start().await;
    let year = next_year();
    let when = format!("{year}-03-02 15:00");

    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[
                ("topic", "Weekly sync @everyone"),
                ("duration", "45m"),
                ("when", &when),
                ("timezone", "Europe/Berlin"),
            ]),
        )
        .await;

    let body = &bot
        .zoom
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/v2/users/me/meetings")
        .unwrap();
    let body = body.body.as_ref().unwrap();
    assert_eq!(body["topic"], "Weekly sync @everyone");
    assert_eq!(body["duration"], 45);
    assert_eq!(body["start_time"], format!("{year}-03-02T14:00:00Z"));
    assert_eq!(body["timezone"], "Europe/Berlin");
    assert_eq!(body["type"], 2);

    let meeting = bot.zoom.meetings()[0].clone();
    let start_url = format!("https://zoom.us/s/{}?zak=", meeting["id"]);
    assert!(answer.ephemeral, "the answer with the host link is private");
    assert!(answer.content.contains(&start_url), "{}", answer.content);

    let public = public.expect("a public message");
    assert!(!public.ephemeral);
    let embed = &public.embeds[0];
    assert_eq!(embed["title"], "Weekly sync @everyone");
    let starts = embed["fields"][0]["value"].as_str().unwrap();
    let unix = jiff::Timestamp::from_second(0).unwrap().as_second()
        + meeting["start_time"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
    assert_eq!(starts, format!("<t:{unix}:F> (<t:{unix}:R>)"));
    let text = public.text();
    assert!(
        text.contains("45 min") && text.contains(&format!("<@{ALICE}>")),
        "{text}"
    );
    assert!(
        text.contains("Europe/Berlin"),
        "says which zone `when` was read in: {text}"
    );
    assert_eq!(button(&public, "Join")["url"], meeting["join_url"]);
    assert_eq!(
        button(&public, "Start as host")["custom_id"],
        format!("zoombot:start:{}", meeting["id"])
    );
    assert!(
        !text.contains(&start_url) && !text.contains("zak="),
        "no host link in public: {text}"
    );

    for request in bot.discord.requests() {
        if let Some(body) = &request.body
            && (body.get("content").is_some()
                || body.get("embeds").is_some()
                || body.get("data").is_some_and(|d| d.get("content").is_some()))
        {
            let mentions = body
                .get("allowed_mentions")
                .or_else(|| body["data"].get("allowed_mentions"));
            assert_eq!(
                mentions.map(|m| &m["parse"]),
                Some(&json!([])),
                "{} {}: {body}",
                request.method,
                request.path
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rest_request_the_bot_sends_validates_against_discords_spec() {
    let Some(spec) = DiscordSpec::load() else {
        return;
    };
    let bot = TestBot::start().await;
    let (_, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "Spec check"), ("when", "in 2h")]),
        )
        .await;
    let public = public.unwrap();
    let click = bot
        .click(
            &Member::regular(ALICE),
            button(&public, "Start as host")["custom_id"]
                .as_str()
                .unwrap(),
            public.id,
        )
        .await;
    bot.answer(&click).await;
    let id = bot.zoom.meetings()[0]["id"].to_string();
    let choices = bot.autocomplete(&Member::regular(ALICE), "meetings", json!([{"name": "cancel", "type": 1, "options": [{"name": "meeting", "type": 3, "value": ""}]}])).await;
    assert_eq!(choices.len(), 1);
    let (_, cancel) = bot.slash(&Member::regular(ALICE), "meetings", json!([{"name": "cancel", "type": 1, "options": [{"name": "meeting", "type": 3, "value": id}]}])).await;
    bot.answer(&cancel).await;

    let mut checked = 0;
    for request in bot.discord.requests().iter().filter(|r| r.body.is_some()) {
        let violations = spec
            .request_violations(request)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            violations.is_empty(),
            "{} {}: {violations:?}",
            request.method,
            request.path
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} request bodies were checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_as_host_gives_the_creator_a_fresh_link_and_refuses_anyone_else() {
    let bot = TestBot::start().await;
    let (answer, public) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "Standup")]))
        .await;
    let public = public.unwrap();
    let custom_id = button(&public, "Start as host")["custom_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mine = bot
        .answer(
            &bot.click(&Member::regular(ALICE), &custom_id, public.id)
                .await,
        )
        .await;
    let theirs = bot
        .answer(
            &bot.click(&Member::regular(BOB), &custom_id, public.id)
                .await,
        )
        .await;

    assert!(mine.ephemeral && theirs.ephemeral);
    let zak = |text: &str| {
        text.split("zak=")
            .nth(1)
            .map(|z| z.split_whitespace().next().unwrap_or_default().to_owned())
    };
    let fresh = zak(&mine.content).expect("a start link");
    assert_ne!(
        Some(fresh),
        zak(&answer.content),
        "the link is fetched anew"
    );
    assert!(
        theirs
            .content
            .contains("Only the host can start this meeting"),
        "{}",
        theirs.content
    );
    assert!(!theirs.content.contains("zak="));
    assert!(
        bot.discord
            .public_messages()
            .iter()
            .all(|m| !m.text().contains("zak="))
    );
}

fn sub(name: &str, meeting: Option<&str>) -> Value {
    match meeting {
        Some(id) => {
            json!([{"name": name, "type": 1, "options": [{"name": "meeting", "type": 3, "value": id}]}])
        }
        None => json!([{"name": name, "type": 1, "options": []}]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meetings_list_shows_this_servers_upcoming_meetings_soonest_first() {
    let bot = TestBot::start().await;
    bot.meet(
        &Member::regular(ALICE),
        strings(&[("topic", "Later"), ("when", "in 5h")]),
    )
    .await;
    bot.meet(
        &Member::regular(BOB),
        strings(&[("topic", "Sooner"), ("when", "in 1h")]),
    )
    .await;

    let (_, token) = bot
        .slash(&Member::regular(ALICE), "meetings", sub("list", None))
        .await;
    let list = bot.answer(&token).await;
    let (_, elsewhere) = bot
        .slash_in(
            FakeDiscord::GUILD_ID + 7,
            &Member::regular(ALICE),
            "meetings",
            sub("list", None),
        )
        .await;
    let other = bot.answer(&elsewhere).await;

    assert!(list.ephemeral);
    let text = list.text();
    let (sooner, later) = (
        text.find("Sooner").expect("listed"),
        text.find("Later").expect("listed"),
    );
    assert!(sooner < later, "{text}");
    assert!(text.contains("<t:"), "Discord timestamps: {text}");
    assert!(
        other.text().contains("No upcoming meetings"),
        "another server sees none: {}",
        other.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_is_for_the_creator_or_a_manager_and_marks_the_public_message() {
    let bot = TestBot::start().await;
    let (_, public) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "Retro")]))
        .await;
    let public = public.unwrap();
    let id = bot.zoom.meetings()[0]["id"].to_string();

    let (_, by_bob) = bot
        .slash(&Member::regular(BOB), "meetings", sub("cancel", Some(&id)))
        .await;
    let refused = bot.answer(&by_bob).await;
    let (_, elsewhere) = bot
        .slash_in(
            FakeDiscord::GUILD_ID + 7,
            &Member::admin(ADMIN),
            "meetings",
            sub("cancel", Some(&id)),
        )
        .await;
    let unknown_there = bot.answer(&elsewhere).await;
    assert!(
        refused.content.contains("Manage Server"),
        "{}",
        refused.content
    );
    assert!(
        unknown_there.content.contains("no upcoming meeting"),
        "{}",
        unknown_there.content
    );
    assert_eq!(bot.zoom.meeting_count(), 1);

    let (_, by_admin) = bot
        .slash(&Member::admin(ADMIN), "meetings", sub("cancel", Some(&id)))
        .await;
    let done = bot.answer(&by_admin).await;

    assert!(done.content.contains("Cancelled"), "{}", done.content);
    assert_eq!(bot.zoom.meeting_count(), 0);
    assert!(
        bot.message_shows(public.id, "Cancelled").await,
        "the public message shows the cancellation"
    );
    assert!(
        bot.discord
            .message(public.id)
            .unwrap()
            .components
            .is_empty(),
        "no Join button on a cancelled meeting"
    );
    let (_, again) = bot
        .slash(
            &Member::regular(ALICE),
            "meetings",
            sub("cancel", Some(&id)),
        )
        .await;
    assert!(
        bot.answer(&again)
            .await
            .content
            .contains("already cancelled")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_link_is_for_the_creator_only_and_autocomplete_offers_their_meetings() {
    let bot = TestBot::start().await;
    bot.meet(&Member::regular(ALICE), strings(&[("topic", "Alice's")]))
        .await;
    bot.meet(&Member::regular(BOB), strings(&[("topic", "Bob's")]))
        .await;
    let alices = bot
        .zoom
        .meetings()
        .into_iter()
        .find(|m| m["topic"] == "Alice's")
        .unwrap()["id"]
        .to_string();

    let offered = bot
        .autocomplete(
            &Member::regular(ALICE),
            "meetings",
            sub("host-link", Some("")),
        )
        .await;
    let (_, mine) = bot
        .slash(
            &Member::regular(ALICE),
            "meetings",
            sub("host-link", Some(&alices)),
        )
        .await;
    let (_, theirs) = bot
        .slash(
            &Member::regular(BOB),
            "meetings",
            sub("host-link", Some(&alices)),
        )
        .await;
    let (_, made_up) = bot
        .slash(
            &Member::regular(BOB),
            "meetings",
            sub("host-link", Some("12345")),
        )
        .await;

    assert_eq!(offered.len(), 1, "{offered:?}");
    assert_eq!(offered[0]["value"], alices);
    assert!(bot.answer(&mine).await.content.contains("zak="));
    let refused = bot.answer(&theirs).await;
    assert!(
        refused.content.contains("Only the host") && !refused.content.contains("zak="),
        "{}",
        refused.content
    );
    assert!(
        bot.answer(&made_up)
            .await
            .content
            .contains("no upcoming meeting")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_buttons_and_commands_still_get_an_answer() {
    let bot = TestBot::start().await;

    let click = bot
        .click(&Member::regular(ALICE), "something:else", 1)
        .await;
    let (_, command) = bot
        .slash(&Member::regular(ALICE), "retired-command", json!([]))
        .await;

    for token in [click, command] {
        let answer = bot.answer(&token).await;
        assert!(
            answer.ephemeral && answer.content.contains("outdated"),
            "{}",
            answer.content
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_privately_with_the_reason_and_no_zoom_call() {
    let bot = TestBot::start().await;
    let cases: Vec<(Value, &str)> = vec![
        (strings(&[("topic", "   ")]), "topic is empty"),
        (strings(&[("topic", &"x".repeat(201))]), "at most 200"),
        (strings(&[("topic", "t"), ("duration", "abc")]), "abc"),
        (strings(&[("topic", "t"), ("duration", "25h")]), "24 hours"),
        (
            strings(&[("topic", "t"), ("when", "yesterday")]),
            "yesterday",
        ),
        (
            strings(&[("topic", "t"), ("when", "2020-01-01 10:00")]),
            "already passed",
        ),
        (strings(&[("topic", "t"), ("when", "in 500 years")]), "year"),
        (
            strings(&[
                ("topic", "t"),
                ("when", &dst_gap()),
                ("timezone", "Europe/Berlin"),
            ]),
            "does not exist",
        ),
        (
            strings(&[("topic", "t"), ("timezone", "Mars/Olympus")]),
            "Mars/Olympus",
        ),
        (
            strings(&[("topic", "t"), ("agenda", &"a".repeat(2001))]),
            "2000",
        ),
        (
            strings(&[("topic", "t"), ("passcode", "12345678901")]),
            "passcode",
        ),
    ];
    for (options, expected) in cases {
        let (answer, public) = bot.meet(&Member::regular(ALICE), options.clone()).await;
        assert!(answer.ephemeral && public.is_none(), "{options}");
        assert!(
            answer
                .content
                .to_lowercase()
                .contains(&expected.to_lowercase()),
            "{options}: expected {expected:?} in {:?}",
            answer.content
        );
    }
    assert_eq!(zoom_creates(&bot.zoom), 0);
    assert!(bot.discord.public_messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoom_failures_end_in_a_clear_private_message() {
    let bot = TestBot::start().await;

    bot.zoom.rate_limit_next(1, RateLimit::Daily);
    let (daily, _) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "t")]))
        .await;
    assert!(
        daily.content.contains("daily limit") && daily.content.contains(":R>"),
        "{}",
        daily.content
    );

    bot.zoom.set_scopes("meeting:read:meeting:admin");
    bot.zoom.revoke_tokens();
    let (scopes, _) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "t")]))
        .await;
    assert!(
        scopes.content.contains("zoombot doctor"),
        "{}",
        scopes.content
    );
    bot.zoom.set_scopes(FakeZoom::DEFAULT_SCOPES);
    bot.zoom.revoke_tokens();

    bot.zoom
        .set_token_failure(Some(support::fake_zoom::TokenFailure::Down));
    let (down, _) = bot
        .meet(&Member::regular(ALICE), strings(&[("topic", "t")]))
        .await;
    assert!(
        down.content.contains("can't be reached"),
        "{}",
        down.content
    );
    bot.zoom.set_token_failure(None);

    let (ok, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "works again")]),
        )
        .await;
    assert!(
        ok.content.starts_with("Scheduled") && public.is_some(),
        "{}",
        ok.content
    );
    let id = bot.zoom.meetings()[0]["id"].as_i64().unwrap();
    let deleted_in_zoom = zoombot::zoom::ZoomClient::new(&support::zoom_config(&bot.zoom)).unwrap();
    deleted_in_zoom.delete_meeting(id).await.unwrap();
    let (_, token) = bot
        .slash(
            &Member::regular(ALICE),
            "meetings",
            sub("host-link", Some(&id.to_string())),
        )
        .await;
    let gone = bot.answer(&token).await;
    assert!(
        gone.content.contains("no longer has this meeting"),
        "{}",
        gone.content
    );
}

/// A date about a month ahead, "YYYY-MM-DD": ahead whatever the clock says, and one whose day and
/// month are both 1 to 12 and differ, so a slash date of it has two readings.
fn in_a_month() -> String {
    let mut day = jiff::Zoned::now().date() + jiff::Span::new().days(30);
    while day.day() > 12 || day.day() == day.month() {
        day = day.tomorrow().unwrap();
    }
    day.to_string()
}

#[tokio::test]
async fn a_zone_typed_in_when_overrides_the_option_and_the_footer_says_so() {
    let bot = TestBot::start().await;
    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[
                ("topic", "London call"),
                ("when", &format!("{} 3pm Europe/London", in_a_month())),
                ("timezone", "America/New_York"),
            ]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let body = &bot.zoom.meetings()[0];
    assert_eq!(body["timezone"], "Europe/London");
    let start: jiff::Timestamp = body["start_time"].as_str().unwrap().parse().unwrap();
    let london = start.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap());
    assert_eq!((london.hour(), london.minute()), (15, 0));
    let public = public.expect("posted");
    let footer = public.embeds[0]["footer"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        footer.starts_with(
            "\"when\" was read in Europe/London (typed in \"when\", over the timezone option)."
        ),
        "{footer}"
    );
}

#[tokio::test]
async fn slash_dates_are_read_by_the_members_discord_language() {
    let bot = TestBot::start().await;
    let date: jiff::civil::Date = in_a_month().parse().unwrap();
    let (year, month, day) = (date.year(), date.month(), date.day());
    let when = format!("{month}/{day}/{year} 10:00");
    let answer = bot
        .meet_in_locale(
            &Member::regular(ALICE),
            "en-US",
            strings(&[("topic", "t"), ("when", &when), ("timezone", "UTC")]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert_eq!(
        bot.zoom.meetings()[0]["start_time"],
        format!("{date}T10:00:00Z"),
        "month first in en-US"
    );
    // The same text, day first: the date with day and month swapped (ahead or refused as past).
    let answer = bot
        .meet_in_locale(
            &Member::regular(ALICE),
            "en-GB",
            strings(&[("topic", "t"), ("when", &when), ("timezone", "UTC")]),
        )
        .await;
    let swapped = jiff::civil::Date::new(year, day, month).unwrap();
    if answer.content.starts_with("Scheduled") {
        assert_eq!(
            bot.zoom.meetings()[1]["start_time"],
            format!("{swapped}T10:00:00Z"),
            "day first in en-GB"
        );
    } else {
        assert!(
            answer
                .content
                .contains(&swapped.strftime("%-d %b %Y").to_string()),
            "refused naming the day-first reading: {}",
            answer.content
        );
    }
}

#[tokio::test]
async fn when_autocompletes_with_its_reading_and_the_value_schedules_exactly_that() {
    let bot = TestBot::start().await;
    let options = json!([
        {"name": "topic", "type": 3, "value": "Sync"},
        {"name": "when", "type": 3, "value": "tomorrow 3pm", "focused": true},
        {"name": "timezone", "type": 3, "value": "Europe/Berlin"},
    ]);
    let choices = bot
        .autocomplete(&Member::regular(ALICE), "meet", options)
        .await;
    assert!(!choices.is_empty() && choices.len() <= 3, "{choices:?}");
    let name = choices[0]["name"].as_str().unwrap();
    assert!(
        name.starts_with("tomorrow 3pm → ") && name.contains("15:00 Europe/Berlin (in "),
        "{name}"
    );
    let value = choices[0]["value"].as_str().unwrap();
    assert!(value.ends_with(" 15:00 Europe/Berlin"), "{value}");

    let (answer, _) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "Sync"), ("when", value)]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let start: jiff::Timestamp = bot.zoom.meetings()[0]["start_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let local: jiff::civil::DateTime = value
        .trim_end_matches(" Europe/Berlin")
        .replace(' ', "T")
        .parse()
        .unwrap();
    let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    assert_eq!(
        start,
        berlin.to_ambiguous_timestamp(local).earlier().unwrap()
    );

    // The timezone option still autocompletes over zone names.
    let zones = bot
        .autocomplete(
            &Member::regular(ALICE),
            "meet",
            json!([{"name": "timezone", "type": 3, "value": "berl", "focused": true}]),
        )
        .await;
    assert_eq!(zones[0]["value"], "Europe/Berlin");
}
