//! Hostile input, end to end: every value a member can type that Zoom would refuse, the bot cannot
//! read or that could abuse a message is answered privately with what is wrong and what to do,
//! costs no Zoom call, and leaves the bot serving the next command.

use crate::support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::bot::{TestBot, strings};
use support::fake_discord::{FakeDiscord, Member, Message};
use support::fake_zoom::FakeZoom;

const ALICE: u64 = 1_400_000_000_000_000_001;
const ADMIN: u64 = 1_400_000_000_000_000_003;
const OTHER_GUILD: u64 = FakeDiscord::GUILD_ID + 7;

/// One hostile value: what it is (for counts and failure messages), the command's options, and
/// the phrase the private answer must contain.
struct Row {
    category: &'static str,
    options: Value,
    expect: String,
}

fn row(category: &'static str, options: Value, expect: &str) -> Row {
    Row {
        category,
        options,
        expect: expect.to_owned(),
    }
}

/// `/meet` with a harmless topic and one hostile option.
fn meet_with(category: &'static str, name: &str, value: &str, expect: &str) -> Row {
    row(category, strings(&[("topic", "t"), (name, value)]), expect)
}

/// The next 02:30 on the last Sunday of March: a local time Berlin skips.
fn berlin_gap() -> String {
    let now = jiff::Zoned::now();
    (now.year()..=now.year() + 1)
        .filter_map(|year| {
            (25..=31)
                .rev()
                .map(|d| jiff::civil::date(year, 3, d))
                .find(|d| d.weekday() == jiff::civil::Weekday::Sunday)
        })
        .map(|day| day.at(2, 30, 0, 0))
        .find(|at| *at > now.datetime())
        .map(|at| at.strftime("%Y-%m-%d %H:%M").to_string())
        .expect("a last Sunday of March within two years")
}

/// Asserts `answer` is a private refusal that says `expect` (case-insensitively) and nothing
/// reached Zoom, not even a token request.
fn assert_refused(
    answer: &Message,
    public: Option<&Message>,
    zoom: &FakeZoom,
    what: &str,
    expect: &str,
) {
    assert!(
        answer.ephemeral,
        "{what}: the answer is public: {}",
        answer.content
    );
    assert!(public.is_none(), "{what}: a public message was posted");
    assert!(
        answer
            .content
            .to_lowercase()
            .contains(&expect.to_lowercase()),
        "{what}: expected {expect:?} in {:?}",
        answer.content
    );
    // An echo of the input is bounded and carries no bidi override that could flip the text.
    assert!(
        answer.content.chars().count() < 600,
        "{what}: {}",
        answer.content
    );
    assert!(
        !answer.content.contains('\u{202e}'),
        "{what}: {}",
        answer.content
    );
    // The token the bot fetched at start-up is no call for this input.
    let calls: Vec<_> = zoom
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v2/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(calls.is_empty(), "{what}: Zoom was called: {calls:?}");
}

/// Every message body the bot sent to Discord lets it mention nobody.
fn assert_nothing_may_ping(discord: &FakeDiscord) -> usize {
    let mut checked = 0;
    for request in discord.requests() {
        let Some(body) = &request.body else { continue };
        let message = body.get("data").filter(|d| d.is_object()).unwrap_or(body);
        if message.get("content").is_none() && message.get("embeds").is_none() {
            continue;
        }
        let mentions = &message["allowed_mentions"];
        let what = format!("{} {}: {body}", request.method, request.path);
        assert_eq!(mentions["parse"], json!([]), "{what}");
        for list in ["users", "roles"] {
            assert!(
                mentions[list].as_array().is_none_or(Vec::is_empty),
                "{list} may be pinged: {what}"
            );
        }
        checked += 1;
    }
    checked
}

fn print_counts(test: &str, counts: &BTreeMap<&str, usize>) {
    let total: usize = counts.values().sum();
    let parts: Vec<_> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!(
        "{test}: {total} hostile inputs refused ({})",
        parts.join(", ")
    );
}

/// One row per hostile `/meet` value.
#[allow(clippy::too_many_lines)] // a table: one row per input reads better than split by length
fn meet_rows() -> Vec<Row> {
    let garbage: String = "¿ñ🎉<@&1>`*_~|%$#{}\\\"'\u{0}x"
        .chars()
        .cycle()
        .take(100)
        .collect();
    let emoji_201 = "🎉".repeat(201);
    let x_200_zwj = format!("{}\u{200d}", "x".repeat(200));
    let rlm_x_200 = format!("\u{200f}{}", "x".repeat(200));
    vec![
        // Topic.
        row("topic", strings(&[("topic", "")]), "topic is empty"),
        row("topic", strings(&[("topic", "   \t ")]), "topic is empty"),
        row(
            "topic",
            strings(&[("topic", "\u{200b}\u{200d}\u{2060}\u{feff}")]),
            "topic is empty",
        ),
        row(
            "topic",
            strings(&[("topic", "\u{200f}\u{202e}\u{200e}")]),
            "topic is empty",
        ),
        // Blank-looking characters that are neither whitespace nor zero-width.
        row(
            "topic",
            strings(&[("topic", "\u{3164}\u{2800}\u{ad}")]),
            "topic is empty",
        ),
        row(
            "topic",
            strings(&[("topic", &"x".repeat(201))]),
            "201 characters long; Zoom allows at most 200",
        ),
        row(
            "topic",
            strings(&[("topic", &emoji_201)]),
            "201 characters long",
        ),
        row(
            "topic",
            strings(&[("topic", &x_200_zwj)]),
            "201 characters long",
        ),
        row(
            "topic",
            strings(&[("topic", &rlm_x_200)]),
            "201 characters long",
        ),
        // Duration.
        meet_with(
            "duration",
            "duration",
            "abc",
            "\"abc\" is not a meeting length",
        ),
        meet_with("duration", "duration", "0", "no time at all"),
        meet_with(
            "duration",
            "duration",
            "-5m",
            "\"-5m\" is not a meeting length",
        ),
        meet_with("duration", "duration", "25h", "longer than the 24 hours"),
        meet_with(
            "duration",
            "duration",
            "1e9h",
            "\"1e9h\" is not a meeting length",
        ),
        meet_with(
            "duration",
            "duration",
            "99999999999999999999m",
            "longer than the 24 hours",
        ),
        meet_with("duration", "duration", "30s", "shorter than the 1 minute"),
        meet_with(
            "duration",
            "duration",
            "90s",
            "not a whole number of minutes",
        ),
        meet_with("duration", "duration", "@everyone", "not a meeting length"),
        // Only invisible marks: not blank to the eye of the code that drops blanks, so refused.
        meet_with(
            "duration",
            "duration",
            "\u{200f}\u{200b}",
            "No meeting length was given",
        ),
        // When.
        meet_with(
            "when",
            "when",
            "yesterday",
            "\"yesterday\" is not a time I can read",
        ),
        meet_with(
            "when",
            "when",
            "2030-13-45",
            "\"2030-13-45\" is not a time I can read",
        ),
        meet_with("when", "when", "in 500 years", "more than a year ahead"),
        meet_with("when", "when", "2020-01-01 10:00", "already passed"),
        row(
            "when",
            strings(&[
                ("topic", "t"),
                ("when", &berlin_gap()),
                ("timezone", "Europe/Berlin"),
            ]),
            "does not exist there: the clocks jump forward",
        ),
        meet_with(
            "when",
            "when",
            "\u{202e}tomorrow",
            "\"tomorrow\" is not a time I can read",
        ),
        meet_with("when", "when", &garbage, "is not a time I can read"),
        // Time zone.
        meet_with(
            "timezone",
            "timezone",
            "Mars/Olympus",
            "\"Mars/Olympus\" is not an IANA time zone",
        ),
        meet_with(
            "timezone",
            "timezone",
            "../../etc/passwd",
            "is not an IANA time zone",
        ),
        meet_with(
            "timezone",
            "timezone",
            " \u{200f} ",
            "No time zone was given",
        ),
        // Passcode.
        meet_with("passcode", "passcode", "12345678901", "passcode won't work"),
        meet_with("passcode", "passcode", "pass word", "passcode won't work"),
        meet_with("passcode", "passcode", "päss", "passcode won't work"),
        meet_with("passcode", "passcode", "abc$%", "passcode won't work"),
        meet_with(
            "passcode",
            "passcode",
            &"🔑".repeat(10),
            "passcode won't work",
        ),
        // Agenda.
        meet_with(
            "agenda",
            "agenda",
            &"a".repeat(2001),
            "2001 characters long; Zoom allows at most 2000",
        ),
        meet_with(
            "agenda",
            "agenda",
            &"📝".repeat(2001),
            "2001 characters long",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_meet_options_are_refused_privately_with_the_reason_and_no_zoom_call() {
    let bot = TestBot::start().await;
    let rows = meet_rows();

    let mut counts = BTreeMap::new();
    for Row {
        category,
        options,
        expect,
    } in &rows
    {
        let (answer, public) = bot.meet(&Member::regular(ALICE), options.clone()).await;
        let what = format!(
            "{category} {}",
            options.to_string().chars().take(120).collect::<String>()
        );
        assert_refused(&answer, public.as_ref(), &bot.zoom, &what, expect);
        *counts.entry(*category).or_default() += 1;
    }
    assert!(
        bot.discord.public_messages().is_empty(),
        "nothing was posted"
    );
    let checked = assert_nothing_may_ping(&bot.discord);
    assert!(
        checked >= rows.len(),
        "every refusal's body was checked: {checked}"
    );
    print_counts("/meet", &counts);
    assert_eq!(counts.values().sum::<usize>(), 36);

    bot.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_at_zooms_limits_are_accepted_and_reach_zoom_unchanged() {
    let bot = TestBot::start().await;
    // Zoom counts characters, not bytes: 200 four-byte emoji are a topic of 200.
    let emoji_200 = "🎉".repeat(200);
    let x_199_zwj = format!("{}\u{200d}", "x".repeat(199));
    let agenda_2000 = "a".repeat(2000);
    let cases = [
        strings(&[("topic", &emoji_200)]),
        strings(&[("topic", &x_199_zwj)]),
        strings(&[("topic", "Agenda at the limit"), ("agenda", &agenda_2000)]),
        strings(&[
            ("topic", "Passcode at the limit"),
            ("passcode", "aZ09@-_*xy"),
        ]),
    ];
    for options in &cases {
        let (answer, public) = bot.meet(&Member::regular(ALICE), options.clone()).await;
        assert!(answer.ephemeral, "{options}");
        assert!(
            answer.content.starts_with("Scheduled"),
            "{options}: {}",
            answer.content
        );
        assert!(public.is_some(), "{options}: posted");
    }
    let created: Vec<Value> = bot
        .zoom
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/meetings"))
        .filter_map(|r| r.body)
        .collect();
    assert_eq!(created.len(), cases.len());
    assert_eq!(created[0]["topic"], emoji_200);
    assert_eq!(created[1]["topic"], x_199_zwj);
    assert_eq!(created[2]["agenda"], agenda_2000);
    assert_eq!(created[3]["password"], "aZ09@-_*xy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blank_optional_values_count_as_not_given_and_the_defaults_used_are_shown() {
    let bot = TestBot::start().await;
    // Discord's client sends no option for a cleared field; blanks are read the same way, like
    // an empty `when` means now.
    for (name, value) in [("duration", ""), ("duration", "   "), ("timezone", "")] {
        let (answer, public) = bot
            .meet(
                &Member::regular(ALICE),
                strings(&[("topic", "Blank option"), (name, value)]),
            )
            .await;
        assert!(
            answer.content.starts_with("Scheduled"),
            "{name}={value:?}: {}",
            answer.content
        );
        let shown = public.expect("posted").text();
        assert!(
            shown.contains("30 min"),
            "{name}={value:?}: the default length is shown: {shown}"
        );
        assert!(
            shown.contains("UTC (nobody set a time zone)"),
            "{name}={value:?}: the zone used is shown: {shown}"
        );
    }
    let durations: Vec<_> = bot
        .zoom
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/meetings"))
        .filter_map(|r| r.body.map(|b| b["duration"].clone()))
        .collect();
    assert_eq!(durations, vec![json!(30); 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_in_the_topic_and_agenda_ping_nobody() {
    let bot = TestBot::start().await;
    let pings = "@everyone @here <@&123> <@456>";
    let (_, token) = bot
        .slash(
            &Member::regular(ALICE),
            "meet",
            strings(&[
                ("topic", &format!("Standup {pings}")),
                ("agenda", &format!("Ask {pings}")),
            ]),
        )
        .await;
    let answer = bot.answer(&token).await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    let posted = bot
        .discord
        .wait_for(|d| !d.followups(&token).is_empty(), support::bot::PATIENCE)
        .await;
    assert!(posted, "no public message");

    let public = bot.discord.followups(&token).remove(0);
    assert!(
        !public.ephemeral && public.text().contains(pings),
        "{}",
        public.text()
    );
    let followup = bot
        .discord
        .requests_matching(
            "POST",
            &format!("/webhooks/{}/{token}", FakeDiscord::APPLICATION_ID),
        )
        .into_iter()
        .next()
        .and_then(|r| r.body)
        .expect("the public follow-up was sent");
    assert_eq!(
        followup["allowed_mentions"]["parse"],
        json!([]),
        "{followup}"
    );
    assert_eq!(
        followup["allowed_mentions"]["users"],
        json!([]),
        "{followup}"
    );
    assert_eq!(
        followup["allowed_mentions"]["roles"],
        json!([]),
        "{followup}"
    );
    // The private answer and everything else the bot sent too.
    assert!(assert_nothing_may_ping(&bot.discord) >= 2);
}

/// `/meetings <sub> meeting:<value>`.
fn meetings(sub: &str, value: &str) -> Value {
    json!([{"name": sub, "type": 1, "options": [{"name": "meeting", "type": 3, "value": value}]}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_ids_that_are_made_up_garbage_or_another_servers_are_refused_without_touching_zoom()
{
    let bot = TestBot::start().await;
    let (_, token) = bot
        .slash_in(
            OTHER_GUILD,
            &Member::regular(ALICE),
            "meet",
            strings(&[("topic", "Theirs")]),
        )
        .await;
    let theirs = bot.answer(&token).await;
    assert!(
        theirs.content.starts_with("Scheduled"),
        "{}",
        theirs.content
    );
    let their_id = bot.zoom.meetings()[0]["id"].as_i64().expect("an id");
    let spaced = zoombot::discord::reply::spaced_id(their_id);
    bot.zoom.clear_requests();

    let values = [
        (
            "made-up id",
            "12345678901".to_owned(),
            "no upcoming meeting 123 4567 8901 scheduled from this server".to_owned(),
        ),
        (
            "non-numeric",
            "abc".to_owned(),
            "\"abc\" is not a meeting ID".to_owned(),
        ),
        (
            "non-numeric",
            "85746065432; DROP TABLE".to_owned(),
            "is not a meeting ID".to_owned(),
        ),
        (
            "non-numeric",
            "99999999999999999999999".to_owned(),
            "is not a meeting ID".to_owned(),
        ),
        (
            "another server's",
            their_id.to_string(),
            format!("no upcoming meeting {spaced} scheduled from this server"),
        ),
    ];
    let mut counts = BTreeMap::new();
    for sub in ["cancel", "host-link"] {
        for (category, value, expect) in &values {
            // A manager, so no permission rule is what stops it.
            let (_, token) = bot
                .slash(&Member::admin(ADMIN), "meetings", meetings(sub, value))
                .await;
            let answer = bot.answer(&token).await;
            let what = format!("/meetings {sub} {value}");
            assert_refused(&answer, None, &bot.zoom, &what, expect);
            assert!(
                !answer.content.contains("meeting 0"),
                "{what}: {}",
                answer.content
            );
            *counts.entry(*category).or_default() += 1;
        }
    }
    print_counts("/meetings", &counts);
    assert_eq!(counts.values().sum::<usize>(), 10);

    assert!(
        bot.zoom.meeting(their_id).is_some(),
        "the other server's meeting is untouched"
    );
    let (_, token) = bot
        .slash_in(
            OTHER_GUILD,
            &Member::regular(ALICE),
            "meetings",
            meetings("host-link", &their_id.to_string()),
        )
        .await;
    assert!(
        bot.answer(&token).await.content.contains("zak="),
        "and still theirs to start"
    );
    bot.zoom.clear_requests();
    bot.assert_still_serving().await;
}

/// `/meet-settings set`, with one text option when `option` is given.
fn set(option: Option<(&str, &str)>) -> Value {
    let options: Vec<Value> = option
        .map(|(name, value)| json!({"name": name, "type": 3, "value": value}))
        .into_iter()
        .collect();
    json!([{"name": "set", "type": 1, "options": options}])
}

/// One row per hostile `/meet-settings set`.
fn settings_rows() -> Vec<Row> {
    let set_row = |option, expect| row("meet-settings", set(option), expect);
    vec![
        set_row(None, "Nothing to change"),
        set_row(Some(("duration", "abc")), "\"abc\" is not a meeting length"),
        set_row(Some(("duration", "   ")), "No meeting length was given"),
        set_row(
            Some(("timezone", "Mars/Olympus")),
            "\"Mars/Olympus\" is not an IANA time zone",
        ),
        set_row(
            Some(("timezone", "../../etc/passwd")),
            "is not an IANA time zone",
        ),
        set_row(Some(("host_user", "a b")), "`a b` can't be a Zoom user"),
        set_row(Some(("host_user", "../users/me")), "can't be a Zoom user"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_settings_are_refused_privately_and_change_nothing() {
    let bot = TestBot::start().await;
    let rows = settings_rows();
    let mut counts = BTreeMap::new();
    for Row {
        category,
        options,
        expect,
    } in &rows
    {
        let (_, token) = bot
            .slash(&Member::admin(ADMIN), "meet-settings", options.clone())
            .await;
        let answer = bot.answer(&token).await;
        assert_refused(
            &answer,
            None,
            &bot.zoom,
            &format!("{category} {options}"),
            expect,
        );
        *counts.entry(*category).or_default() += 1;
    }
    for zone in ["Mars/Olympus", "../../etc/passwd"] {
        let (_, token) = bot
            .slash(
                &Member::regular(ALICE),
                "meet-timezone",
                strings(&[("zone", zone)]),
            )
            .await;
        let answer = bot.answer(&token).await;
        assert_refused(&answer, None, &bot.zoom, zone, "is not an IANA time zone");
        *counts.entry("meet-timezone").or_default() += 1;
    }
    print_counts("settings", &counts);
    assert_eq!(counts.values().sum::<usize>(), 9);

    let (_, token) = bot
        .slash(
            &Member::admin(ADMIN),
            "meet-settings",
            json!([{"name": "show", "type": 1, "options": []}]),
        )
        .await;
    let shown = bot.answer(&token).await.text();
    for unchanged in [
        "**duration**: 30 min *(default)*",
        "**timezone**: UTC *(default)*",
        "**host_user**: `me` *(default)*",
    ] {
        assert!(shown.contains(unchanged), "{unchanged} in {shown}");
    }
    let (answer, public) = bot
        .meet(
            &Member::regular(ALICE),
            strings(&[("topic", "t"), ("when", "tomorrow 15:00")]),
        )
        .await;
    assert!(
        answer.content.starts_with("Scheduled"),
        "{}",
        answer.content
    );
    assert!(
        public
            .expect("posted")
            .text()
            .contains("UTC (nobody set a time zone)"),
        "the member's refused zone was not saved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_outside_a_commands_declaration_are_refused_naming_the_option_and_create_nothing() {
    let bot = TestBot::start().await;
    // What a modified client can send and Discord's own would not: a value that is none of the
    // choices, a value of another kind than the option takes, a text over the declared length,
    // an option the command does not have.
    let cases = [
        (
            "meet",
            strings(&[("topic", "t"), ("recording", "bogus")]),
            "`recording` can't be \"bogus\": pick one of `none`, `local`, `cloud`",
        ),
        (
            "meet",
            json!([{"name": "topic", "type": 3, "value": "t"},
                   {"name": "waiting_room", "type": 3, "value": "yes"}]),
            "`waiting_room` came as another kind of value",
        ),
        (
            "meet",
            strings(&[("topic", "t"), ("duration", &"1".repeat(33))]),
            "`duration` is 33 characters long; at most 32 fit",
        ),
        (
            "meet",
            strings(&[("topic", "t"), ("colour", "red")]),
            "outdated",
        ),
        (
            "meet-settings",
            set(Some(("auto_recording", "bogus"))),
            "`auto_recording` can't be \"bogus\"",
        ),
        (
            "meet-settings",
            json!([{"name": "reset", "type": 1, "options": [
                {"name": "field", "type": 3, "value": "everything"}]}]),
            "`field` can't be \"everything\"",
        ),
        (
            "meetings",
            json!([{"name": "list", "type": 1, "options": [
                {"name": "scope", "type": 3, "value": "everyone"}]}]),
            "`scope` can't be \"everyone\"",
        ),
    ];
    for (command, options, expect) in &cases {
        let what = format!("/{command} {options}");
        let (_, token) = bot
            .slash(&Member::admin(ADMIN), command, options.clone())
            .await;
        assert_refused(&bot.answer(&token).await, None, &bot.zoom, &what, expect);
    }
    assert_eq!(bot.zoom.meeting_count(), 0, "no meeting was created");
    assert!(
        bot.discord.public_messages().is_empty(),
        "nothing was posted"
    );

    // Nothing of the refused settings was saved.
    let shown = bot
        .run_sub(&Member::admin(ADMIN), "meet-settings", "show", json!([]))
        .await
        .text();
    assert!(
        shown.contains("**auto_recording**: Zoom account default *(default)*"),
        "{shown}"
    );
    bot.assert_still_serving().await;
}
