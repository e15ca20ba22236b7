//! The fake Discord against the real serenity 0.12.5 client: payloads parse, Discord's rules hold,
//! and every body serenity sends matches Discord's spec.

use crate::support::fake_discord;
use crate::support::specs::{self, DiscordSpec};

use std::time::Duration;

use fake_discord::{EPHEMERAL, FakeDiscord, LOADING, Member, Origin, Recorded};
use serde_json::{Value, json};
use serenity::all::{
    ApplicationId, ButtonStyle, ChannelId, Client, ClientBuilder, Command, CommandDataOptionValue,
    CommandOptionType, ComponentInteractionDataKind, Context, CreateActionRow,
    CreateAutocompleteResponse, CreateButton, CreateCommand, CreateCommandOption, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse, EditMessage, EventHandler, GatewayIntents, GuildId,
    Http, HttpBuilder, Interaction, Permissions, Ready, ShardManager, UserId,
};
use std::sync::Arc;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);
const GUILD: u64 = FakeDiscord::GUILD_ID;
const CHANNEL: u64 = FakeDiscord::CHANNEL_ID;
const SECRET: &str = "https://zoom.example/s/123?zak=host-secret";

/// What the handler saw and what its calls returned ("ok" or "status/code").
#[derive(Debug)]
struct Observed {
    interaction: Interaction,
    outcomes: Vec<String>,
}

struct Handler {
    tx: mpsc::UnboundedSender<Observed>,
}

fn outcome<T>(result: Result<T, serenity::Error>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e))) => {
            format!("{}/{}", e.status_code.as_u16(), e.error.code)
        }
        Err(other) => format!("error: {other}"),
    }
}

fn public_defer() -> CreateInteractionResponse {
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new())
}

fn host_link_followup() -> CreateInteractionResponseFollowup {
    CreateInteractionResponseFollowup::new()
        .content(format!("Start as host: {SECRET}"))
        .ephemeral(true)
}

impl Handler {
    async fn command(ctx: &Context, command: &serenity::all::CommandInteraction) -> Vec<String> {
        let mut outcomes = vec![];
        match command.data.name.as_str() {
            "meet" => {
                outcomes.push(outcome(command.create_response(ctx, public_defer()).await));
                let public = EditInteractionResponse::new()
                    .content("Meeting scheduled")
                    .embed(
                        CreateEmbed::new()
                            .title("Standup")
                            .description("<t:1900000000:F>")
                            .field("Duration", "30 min", true),
                    )
                    .components(vec![CreateActionRow::Buttons(vec![
                        CreateButton::new_link("https://zoom.example/j/123").label("Join"),
                        CreateButton::new("host:123")
                            .label("Start as host")
                            .style(ButtonStyle::Secondary),
                    ])]);
                outcomes.push(outcome(command.edit_response(ctx, public).await));
                outcomes.push(outcome(
                    command.create_followup(ctx, host_link_followup()).await,
                ));
            }
            "leak" => {
                outcomes.push(outcome(command.create_response(ctx, public_defer()).await));
                outcomes.push(outcome(
                    command.create_followup(ctx, host_link_followup()).await,
                ));
            }
            "twice" => {
                outcomes.push(outcome(command.create_response(ctx, public_defer()).await));
                outcomes.push(outcome(command.create_response(ctx, public_defer()).await));
            }
            "dm" => {
                let reply = CreateInteractionResponseMessage::new()
                    .content("Check your DMs")
                    .ephemeral(true);
                outcomes.push(outcome(
                    command
                        .create_response(ctx, CreateInteractionResponse::Message(reply))
                        .await,
                ));
                match command.user.id.create_dm_channel(ctx).await {
                    Ok(channel) => {
                        let sent = channel
                            .id
                            .send_message(
                                ctx,
                                CreateMessage::new().content(format!("Host link: {SECRET}")),
                            )
                            .await;
                        match sent {
                            Ok(mut message) => {
                                outcomes.push("ok".to_owned());
                                outcomes.push(outcome(
                                    message
                                        .edit(ctx, EditMessage::new().content("Host link expired"))
                                        .await,
                                ));
                            }
                            Err(e) => outcomes.push(outcome::<()>(Err(e))),
                        }
                    }
                    Err(e) => outcomes.push(outcome::<()>(Err(e))),
                }
            }
            // "late" and anything else: acknowledge and report.
            _ => outcomes.push(outcome(command.defer(ctx).await)),
        }
        outcomes
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, _ready: Ready) {}

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let outcomes = match &interaction {
            Interaction::Command(command) => Self::command(&ctx, command).await,
            Interaction::Autocomplete(auto) => {
                let choices = CreateAutocompleteResponse::new()
                    .add_string_choice("Europe/Paris", "Europe/Paris")
                    .add_string_choice("Europe/Prague", "Europe/Prague");
                vec![outcome(
                    auto.create_response(&ctx, CreateInteractionResponse::Autocomplete(choices))
                        .await,
                )]
            }
            Interaction::Component(component) if component.data.custom_id == "rsvp" => {
                let update = CreateInteractionResponseMessage::new()
                    .content("3 going")
                    .components(vec![]);
                vec![outcome(
                    component
                        .create_response(&ctx, CreateInteractionResponse::UpdateMessage(update))
                        .await,
                )]
            }
            Interaction::Component(component) => {
                let mut outcomes = vec![outcome(
                    component
                        .create_response(&ctx, CreateInteractionResponse::Acknowledge)
                        .await,
                )];
                outcomes.push(outcome(
                    component.create_followup(&ctx, host_link_followup()).await,
                ));
                outcomes
            }
            _ => vec![],
        };
        let _ = self.tx.send(Observed {
            interaction,
            outcomes,
        });
    }
}

/// The bot as zoombot builds it: serenity's Http pointed at the fake, rate limiter off.
fn fake_http(fake: &FakeDiscord) -> Http {
    let http = HttpBuilder::new(FakeDiscord::BOT_TOKEN)
        .proxy(fake.url())
        .ratelimiter_disabled(true)
        .build();
    // What READY tells serenity; set here for tests that use the Http without a gateway.
    http.set_application_id(ApplicationId::new(FakeDiscord::APPLICATION_ID));
    http
}

/// Dispatches slash command `name` from `member` in the test server's channel.
async fn slash(
    fake: &FakeDiscord,
    id: u64,
    token: &str,
    member: &Member,
    name: &str,
    options: Value,
) {
    fake.dispatch_interaction(fake_discord::slash_command(
        id, token, GUILD, CHANNEL, member, name, options,
    ))
    .await;
}

struct Bot {
    manager: Arc<ShardManager>,
    rx: mpsc::UnboundedReceiver<Observed>,
}

impl Bot {
    async fn start(fake: &FakeDiscord) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut client: Client =
            ClientBuilder::new_with_http(fake_http(fake), GatewayIntents::GUILDS)
                .event_handler(Handler { tx })
                .await
                .expect("the serenity client builds");
        let manager = Arc::clone(&client.shard_manager);
        tokio::spawn(async move {
            let _ = client.start().await;
        });
        assert!(
            fake.wait_until_ready(WAIT).await,
            "serenity never identified with the fake"
        );
        Self { manager, rx }
    }

    async fn next(&mut self) -> Observed {
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .expect("the handler saw the interaction in time")
            .expect("handler alive")
    }

    async fn stop(self) {
        self.manager.shutdown_all().await;
    }
}

fn meet_options() -> Value {
    json!([
        { "name": "topic", "type": 3, "value": "Standup" },
        { "name": "when", "type": 3, "value": "tomorrow 15:00" },
        { "name": "duration", "type": 4, "value": 30 },
    ])
}

#[tokio::test]
async fn serenity_asks_the_fake_for_the_gateway_and_identifies_with_the_guilds_intent() {
    let fake = FakeDiscord::start().await;
    let bot = Bot::start(&fake).await;

    let identify = fake.identify_payload().expect("IDENTIFY recorded");
    assert_eq!(identify["intents"], json!(1), "GUILDS only");
    assert_eq!(
        identify["token"],
        json!(format!("Bot {}", FakeDiscord::BOT_TOKEN))
    );
    assert_eq!(fake.gateway_queries(), vec!["v=10".to_owned()]);
    let gateway = fake.requests_matching("GET", "/api/v10/gateway");
    assert_eq!(gateway.len(), 1, "{:?}", fake.requests());
    assert_eq!(
        gateway[0].authorization.as_deref(),
        Some(format!("Bot {}", FakeDiscord::BOT_TOKEN).as_str())
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_slash_command_parses_and_defer_edit_then_ephemeral_followup_keeps_the_host_link_private()
{
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;

    let options =
        json!([{ "name": "create", "type": 1, "options": meet_options().as_array().cloned() }]);
    slash(&fake, 9001, "tok-meet", &Member::admin(42), "meet", options).await;
    let seen = bot.next().await;

    let Interaction::Command(command) = &seen.interaction else {
        panic!("not a command: {:?}", seen.interaction)
    };
    assert_eq!(seen.outcomes, ["ok", "ok", "ok"]);
    assert_eq!(command.data.name, "meet");
    assert_eq!(command.guild_id, Some(GuildId::new(GUILD)));
    assert_eq!(command.user.id, UserId::new(42));
    let member = command.member.as_ref().expect("member");
    assert!(
        member
            .permissions
            .expect("permissions")
            .contains(Permissions::MANAGE_GUILD)
    );
    let CommandDataOptionValue::SubCommand(sub) = &command.data.options[0].value else {
        panic!("subcommand expected")
    };
    assert_eq!(command.data.options[0].name, "create");
    assert_eq!(
        sub[0].value,
        CommandDataOptionValue::String("Standup".into())
    );
    assert_eq!(sub[2].value, CommandDataOptionValue::Integer(30));

    let original = fake.original("tok-meet").expect("original");
    assert!(!original.thinking && !original.ephemeral);
    assert_eq!(original.content, "Meeting scheduled");
    assert_eq!(original.embeds[0]["title"], "Standup");
    assert_eq!(
        original.components[0]["components"][0]["url"],
        "https://zoom.example/j/123"
    );
    let followups = fake.followups("tok-meet");
    assert_eq!(followups.len(), 1);
    assert!(followups[0].ephemeral && followups[0].content.contains(SECRET));
    assert!(
        fake.public_messages()
            .iter()
            .all(|m| !m.text().contains(SECRET))
    );
    assert_eq!(fake.ephemeral_messages_for("tok-meet").len(), 1);
    assert!(fake.ack_latency("9001").expect("acknowledged") < Duration::from_secs(3));
    assert_eq!(
        fake.callbacks()[0],
        (
            "9001".to_owned(),
            json!({ "type": 5, "data": { "attachments": [] } })
        )
    );
    bot.stop().await;
}

#[tokio::test]
async fn the_first_followup_replaces_a_thinking_public_defer_and_publishes_the_host_link() {
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;

    slash(
        &fake,
        9002,
        "tok-leak",
        &Member::regular(7),
        "leak",
        json!([]),
    )
    .await;
    let seen = bot.next().await;

    assert_eq!(seen.outcomes, ["ok", "ok"]);
    let original = fake.original("tok-leak").expect("original");
    assert!(!original.thinking);
    assert!(
        !original.ephemeral,
        "the follow-up took the public defer's visibility"
    );
    assert!(original.content.contains(SECRET));
    assert!(fake.followups("tok-leak").is_empty());
    assert!(
        fake.public_messages()
            .iter()
            .any(|m| m.text().contains(SECRET))
    );
    bot.stop().await;
}

#[tokio::test]
async fn an_ephemeral_defer_makes_the_first_followup_ephemeral_and_later_ones_keep_their_flags() {
    let fake = FakeDiscord::start().await;
    let http = fake_http(&fake);
    slash(
        &fake,
        9003,
        "tok-eph",
        &Member::regular(7),
        "meet",
        json!([]),
    )
    .await;

    http.create_interaction_response(
        9003.into(),
        "tok-eph",
        &json!({ "type": 5, "data": { "flags": EPHEMERAL } }),
        vec![],
    )
    .await
    .expect("defer");
    let thinking = fake.original("tok-eph").expect("thinking original");
    assert!(thinking.thinking && thinking.ephemeral && thinking.flags & LOADING != 0);
    assert!(fake.public_messages().is_empty());

    let first = http
        .create_followup_message("tok-eph", &json!({ "content": "first" }), vec![])
        .await
        .expect("follow-up");
    assert_eq!(first.id.get(), thinking.id, "it replaced the original");
    let second = http
        .create_followup_message("tok-eph", &json!({ "content": "second" }), vec![])
        .await
        .expect("follow-up");
    let original = fake.original("tok-eph").expect("original");
    assert!(original.ephemeral && !original.thinking && original.content == "first");
    let followups = fake.followups("tok-eph");
    assert_eq!(followups.len(), 1);
    assert_eq!(followups[0].id, second.id.get());
    assert!(
        !followups[0].ephemeral,
        "a later follow-up without flags is public"
    );
}

#[tokio::test]
async fn a_late_callback_gets_10062_and_a_second_one_gets_40060() {
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;

    slash(
        &fake,
        9004,
        "tok-twice",
        &Member::regular(7),
        "twice",
        json!([]),
    )
    .await;
    assert_eq!(bot.next().await.outcomes, ["ok", "400/40060"]);

    fake.set_ack_deadline(Duration::ZERO);
    slash(
        &fake,
        9005,
        "tok-late",
        &Member::regular(7),
        "late",
        json!([]),
    )
    .await;
    assert_eq!(bot.next().await.outcomes, ["404/10062"]);
    assert!(fake.ack_latency("9005").is_none());
    assert!(fake.original("tok-late").is_none());
    bot.stop().await;
}

#[tokio::test]
async fn button_clicks_update_the_stored_message_and_autocomplete_records_its_choices() {
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;
    slash(&fake, 9006, "tok-m", &Member::admin(42), "meet", json!([])).await;
    bot.next().await;
    let message = fake.original("tok-m").expect("public message");

    fake.dispatch_interaction(fake_discord::button_click(
        9007,
        "tok-rsvp",
        GUILD,
        CHANNEL,
        &Member::regular(7),
        "rsvp",
        message.id,
    ))
    .await;
    let seen = bot.next().await;
    let Interaction::Component(click) = &seen.interaction else {
        panic!("not a component")
    };
    assert_eq!(click.data.custom_id, "rsvp");
    assert!(matches!(
        click.data.kind,
        ComponentInteractionDataKind::Button
    ));
    assert_eq!(click.message.id.get(), message.id);
    assert_eq!(
        click.message.content, "Meeting scheduled",
        "the fake sends the stored message"
    );
    assert_eq!(seen.outcomes, ["ok"]);
    let updated = fake.message(message.id).expect("message");
    assert_eq!(updated.content, "3 going");
    assert!(updated.components.is_empty());
    assert_eq!(fake.original("tok-rsvp").map(|m| m.id), Some(message.id));

    fake.dispatch_interaction(fake_discord::button_click(
        9008,
        "tok-host",
        GUILD,
        CHANNEL,
        &Member::admin(42),
        "host:123",
        message.id,
    ))
    .await;
    assert_eq!(bot.next().await.outcomes, ["ok", "ok"]);
    assert!(
        fake.followups("tok-host")[0].ephemeral,
        "after a deferred update the follow-up is a new message"
    );

    let options = json!([{ "name": "zone", "type": 3, "value": "Europe/P", "focused": true }]);
    fake.dispatch_interaction(fake_discord::autocomplete(
        9009,
        "tok-auto",
        GUILD,
        CHANNEL,
        &Member::regular(7),
        "timezone",
        options,
    ))
    .await;
    let seen = bot.next().await;
    let Interaction::Autocomplete(auto) = &seen.interaction else {
        panic!("not autocomplete")
    };
    let focused = auto.data.autocomplete().expect("focused option");
    assert_eq!(
        (focused.name, focused.value, focused.kind),
        ("zone", "Europe/P", CommandOptionType::String)
    );
    assert_eq!(seen.outcomes, ["ok"]);
    let choices = fake.autocomplete_choices("9009").expect("choices");
    assert_eq!(
        choices[0],
        json!({ "name": "Europe/Paris", "value": "Europe/Paris" })
    );
    bot.stop().await;
}

#[tokio::test]
async fn after_a_dropped_connection_serenity_resumes_and_receives_the_next_dispatch() {
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;

    fake.drop_connection().await;
    assert!(
        fake.wait_for(|f| f.connection_count() >= 2 && f.is_ready(), WAIT)
            .await,
        "serenity did not come back"
    );
    assert_eq!(
        fake.resume_count(),
        1,
        "it resumed rather than identified again"
    );
    slash(
        &fake,
        9010,
        "tok-after",
        &Member::regular(7),
        "ping",
        json!([]),
    )
    .await;
    assert_eq!(bot.next().await.outcomes, ["ok"]);

    fake.close_connection(4000).await;
    assert!(
        fake.wait_for(|f| f.resume_count() == 2 && f.is_ready(), WAIT)
            .await,
        "no resume after close 4000"
    );
    slash(
        &fake,
        9011,
        "tok-after2",
        &Member::regular(7),
        "ping",
        json!([]),
    )
    .await;
    assert_eq!(bot.next().await.outcomes, ["ok"]);
    assert_eq!(fake.identify_count(), 1);
    bot.stop().await;
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime_and_unacknowledged_interactions_have_no_webhook() {
    let fake = FakeDiscord::start().await;
    let http = fake_http(&fake);
    slash(
        &fake,
        9012,
        "tok-old",
        &Member::regular(7),
        "meet",
        json!([]),
    )
    .await;

    let early = http
        .create_followup_message("tok-old", &json!({ "content": "too early" }), vec![])
        .await;
    assert_eq!(outcome(early), "404/10015");
    http.create_interaction_response(9012.into(), "tok-old", &json!({ "type": 5 }), vec![])
        .await
        .expect("defer");
    fake.advance_clock(Duration::from_secs(15 * 60 + 1));
    let late = http
        .edit_original_interaction_response("tok-old", &json!({ "content": "too late" }), vec![])
        .await;
    assert_eq!(outcome(late), "404/10015");

    slash(
        &fake,
        9013,
        "tok-exp",
        &Member::regular(7),
        "meet",
        json!([]),
    )
    .await;
    http.create_interaction_response(9013.into(), "tok-exp", &json!({ "type": 5 }), vec![])
        .await
        .expect("defer");
    fake.expire_token("tok-exp");
    assert_eq!(
        outcome(http.get_original_interaction_response("tok-exp").await),
        "404/10015"
    );
}

#[tokio::test]
async fn rate_limits_faults_closed_dms_and_missing_auth_answer_as_discord_does() {
    let fake = FakeDiscord::start().await;
    let http = fake_http(&fake);

    fake.rate_limit_next(1, 0.25);
    assert_eq!(outcome(http.get_current_user().await), "429/0");
    let limited = fake.requests().pop().expect("recorded");
    assert_eq!(limited.response.expect("body")["retry_after"], json!(0.25));
    assert_eq!(outcome(http.get_current_user().await), "ok");

    let channel = UserId::new(77)
        .create_dm_channel(&http)
        .await
        .expect("DM channel");
    fake.fail_next_with(
        &format!("/channels/{}/messages", channel.id),
        403,
        50007,
        "Cannot send messages to this user",
    );
    assert_eq!(outcome(channel.id.say(&http, "hi").await), "403/50007");
    assert_eq!(outcome(channel.id.say(&http, "hi").await), "ok");
    assert_eq!(fake.dms(77).len(), 1);
    fake.set_dms_closed(77, true);
    assert_eq!(outcome(channel.id.say(&http, "again").await), "403/50007");

    // serenity checks 2000 characters itself; the fake checks what reaches it, like Discord.
    let too_long = http
        .send_message(
            ChannelId::new(CHANNEL),
            vec![],
            &json!({ "content": "x".repeat(2001) }),
        )
        .await;
    assert_eq!(outcome(too_long), "400/50035");
    let empty = http
        .send_message(ChannelId::new(CHANNEL), vec![], &json!({ "content": "" }))
        .await;
    assert_eq!(outcome(empty), "400/50006");
    let anonymous = HttpBuilder::new("wrong-token")
        .proxy(fake.url())
        .ratelimiter_disabled(true)
        .build();
    assert_eq!(outcome(anonymous.get_current_user().await), "401/0");
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200, 200, 403, 200, 403, 400, 400, 401]);
    assert_eq!(
        fake.requests()
            .last()
            .and_then(|r| r.authorization.clone())
            .as_deref(),
        Some("Bot wrong-token")
    );
}

/// Drives every REST call zoombot makes through serenity's builders, then checks each body
/// serenity sent against the spec's request schema and each answer of the fake against the
/// spec's response schema.
#[tokio::test]
async fn every_body_serenity_sends_and_every_answer_of_the_fake_match_discords_spec() {
    let Some(spec) = DiscordSpec::load() else {
        return;
    };
    assert_the_checks_can_fail(&spec);
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;
    let http = fake_http(&fake);

    register_commands(&fake, &http).await;
    http.get_current_user().await.expect("users/@me");
    http.get_current_application_info()
        .await
        .expect("oauth2/applications/@me");
    http.get_bot_gateway().await.expect("gateway/bot");
    drive_every_interaction_reply(&fake, &mut bot, &http).await;
    bot.stop().await;

    let requests: Vec<Recorded> = fake.requests();
    assert!(
        requests.iter().filter(|r| r.body.is_some()).count() >= 12,
        "{requests:#?}"
    );
    assert_requests_and_answers_match_the_spec(&spec, &requests);
    let kinds: Vec<_> = fake
        .callbacks()
        .iter()
        .map(|(_, body)| body["type"].as_u64().unwrap_or_default())
        .collect();
    assert_eq!(kinds, [5, 4, 7, 6, 8]);
    assert!(
        fake.public_messages()
            .iter()
            .all(|m| m.origin != Origin::Followup)
    );
}

/// A wrong body is caught, and concrete paths resolve to the right template.
fn assert_the_checks_can_fail(spec: &DiscordSpec) {
    let callback = spec
        .request_validator("POST", "/api/v10/interactions/1/tok/callback")
        .expect("callback schema");
    assert!(
        !specs::violations(&callback, &json!({ "type": 5, "data": { "flags": "64" } })).is_empty()
    );
    assert!(
        !specs::violations(
            &callback,
            &json!({ "type": 4, "data": { "content": "x".repeat(2001) } })
        )
        .is_empty()
    );
    assert_eq!(
        spec.match_path("PATCH", "/api/v10/webhooks/1/tok/messages/@original")
            .as_deref(),
        Some("/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    );
    assert_eq!(
        spec.match_path("GET", "/api/v10/users/@me").as_deref(),
        Some("/users/@me")
    );
}

async fn register_commands(fake: &FakeDiscord, http: &Http) {
    let meet = CreateCommand::new("meet")
        .description("Schedule a Zoom meeting")
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .add_option(
            CreateCommandOption::new(CommandOptionType::SubCommand, "create", "Create a meeting")
                .add_sub_option(
                    CreateCommandOption::new(CommandOptionType::String, "topic", "Topic")
                        .required(true),
                )
                .add_sub_option(
                    CreateCommandOption::new(CommandOptionType::String, "zone", "Time zone")
                        .set_autocomplete(true),
                )
                .add_sub_option(
                    CreateCommandOption::new(CommandOptionType::Integer, "duration", "Minutes")
                        .min_int_value(1)
                        .max_int_value(1440),
                ),
        );
    let settings = CreateCommand::new("settings")
        .description("Guild settings")
        .default_member_permissions(Permissions::MANAGE_GUILD);
    let global = Command::set_global_commands(http, vec![meet.clone()])
        .await
        .expect("global commands");
    assert_eq!(global[0].name, "meet");
    let guild = GuildId::new(GUILD)
        .set_commands(http, vec![meet, settings])
        .await
        .expect("guild commands");
    assert_eq!(guild.len(), 2);
    assert_eq!(fake.registered_commands(Some(GUILD)).len(), 2);
}

/// Callbacks 5, 4, 7, 6 and 8, an edit of @original, follow-ups (created and edited), a DM.
async fn drive_every_interaction_reply(fake: &FakeDiscord, bot: &mut Bot, http: &Http) {
    let admin = Member::admin(42);
    slash(fake, 9101, "tok-a", &admin, "meet", json!([])).await;
    bot.next().await;
    slash(fake, 9102, "tok-b", &Member::regular(43), "dm", json!([])).await;
    assert_eq!(bot.next().await.outcomes, ["ok", "ok", "ok"]);
    assert_eq!(
        fake.dms(43).last().map(|m| m.content.clone()).as_deref(),
        Some("Host link expired")
    );
    let message = fake.original("tok-a").expect("public message").id;
    fake.dispatch_interaction(fake_discord::button_click(
        9103,
        "tok-c",
        GUILD,
        CHANNEL,
        &Member::regular(7),
        "rsvp",
        message,
    ))
    .await;
    bot.next().await;
    fake.dispatch_interaction(fake_discord::button_click(
        9105, "tok-e", GUILD, CHANNEL, &admin, "host:123", message,
    ))
    .await;
    assert_eq!(bot.next().await.outcomes, ["ok", "ok"]);
    let options = json!([{ "name": "create", "type": 1, "options": [{ "name": "zone", "type": 3, "value": "Eu", "focused": true }] }]);
    fake.dispatch_interaction(fake_discord::autocomplete(
        9104,
        "tok-d",
        GUILD,
        CHANNEL,
        &Member::regular(7),
        "meet",
        options,
    ))
    .await;
    bot.next().await;
    let refreshed = CreateInteractionResponseFollowup::new()
        .content("Host link (refreshed)")
        .ephemeral(true);
    let edited = http
        .edit_followup_message(
            "tok-a",
            fake.followups("tok-a")[0].id.into(),
            &refreshed,
            vec![],
        )
        .await;
    assert_eq!(outcome(edited), "ok");
}

fn assert_requests_and_answers_match_the_spec(spec: &DiscordSpec, requests: &[Recorded]) {
    let mut request_problems = vec![];
    let mut response_problems = vec![];
    for request in requests {
        let where_ = format!("{} {}", request.method, request.path);
        match spec.request_violations(request) {
            Ok(found) => {
                for violation in found {
                    if is_known_serenity_violation(&violation) {
                        eprintln!(
                            "KNOWN SPEC VIOLATION (serenity's request, accepted by Discord): {where_}: {violation}"
                        );
                    } else {
                        request_problems.push(format!("{where_}: {violation}"));
                    }
                }
            }
            Err(e) => request_problems.push(e),
        }
        match spec.response_violations(request) {
            Ok(found) => response_problems.extend(
                found
                    .into_iter()
                    .map(|v| format!("{where_} -> {}: {v}", request.status)),
            ),
            Err(e) => response_problems.push(e),
        }
    }
    assert!(
        response_problems.is_empty(),
        "the fake's answers violate the spec:\n{}",
        response_problems.join("\n")
    );
    assert!(
        request_problems.is_empty(),
        "serenity's bodies violate the spec:\n{}",
        request_problems.join("\n")
    );
}

/// serenity serialises `Permissions` as a string ("2048"), which is what Discord's docs say and
/// what Discord answers; the spec's request schema says integer. Discord accepts the string.
fn is_known_serenity_violation(violation: &str) -> bool {
    violation.contains(r#"is not of types "integer", "null""#)
        && violation.ends_with("/default_member_permissions")
}

#[tokio::test]
async fn a_refused_identify_ends_serenity_with_the_code_s_error_and_the_advertised_url_is_answered()
{
    let fake = FakeDiscord::start().await;
    fake.refuse_identify_with(Some(4014));
    let mut client: Client = ClientBuilder::new_with_http(fake_http(&fake), GatewayIntents::GUILDS)
        .await
        .expect("the serenity client builds");
    let ended = tokio::time::timeout(WAIT, client.start())
        .await
        .expect("serenity gives up on 4014 in time");
    assert!(
        matches!(
            ended,
            Err(serenity::Error::Gateway(
                serenity::gateway::GatewayError::DisallowedGatewayIntents
            ))
        ),
        "{ended:?}"
    );
    assert_eq!(fake.identify_count(), 1);

    fake.advertise_gateway_url("ws://127.0.0.1:9");
    let gateway = fake_http(&fake).get_gateway().await.expect("GET /gateway");
    assert_eq!(gateway.url, "ws://127.0.0.1:9");
}

// ---- scheduled events, nonces, replies, channels, servers: plain HTTP against the fake ----------

/// One call to the fake with the bot token, as (status, JSON body or null).
async fn call(fake: &FakeDiscord, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/api/v10{path}", fake.url()))
        .header("Authorization", format!("Bot {}", FakeDiscord::BOT_TOKEN));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the fake answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON")
    };
    (status, json)
}

/// An RFC 3339 time `minutes` from now.
fn in_minutes(minutes: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes)).to_string()
}

/// What zoombot sends for a meeting: an EXTERNAL event at the join link.
fn external_event(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Weekly standup",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": in_minutes(60),
        "scheduled_end_time": in_minutes(90),
        "entity_metadata": { "location": "https://zoom.example/j/123" },
    })
}

fn events_path() -> String {
    format!("/guilds/{GUILD}/scheduled-events")
}

async fn create_event(fake: &FakeDiscord, name: &str) -> u64 {
    let (status, event) = call(fake, "POST", &events_path(), Some(external_event(name))).await;
    assert_eq!(status, 200, "{event}");
    event["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("snowflake")
}

/// The spec's checks of the successful requests and answers on paths containing `path_contains`,
/// so a wrong shape in the fake fails here rather than in a bot test.
fn assert_successes_match_the_spec(fake: &FakeDiscord, path_contains: &str) {
    let Some(spec) = DiscordSpec::load() else {
        return;
    };
    let checked: Vec<Recorded> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(path_contains) && (200..300).contains(&r.status))
        .collect();
    assert!(!checked.is_empty(), "nothing to check on {path_contains}");
    assert_requests_and_answers_match_the_spec(&spec, &checked);
}

/// The error body's field path under `errors`, e.g. `entity_metadata.location`, and its code.
fn form_error(body: &Value) -> (String, String) {
    fn walk(errors: &Value, path: &mut Vec<String>) -> String {
        if let Some(list) = errors.get("_errors").and_then(Value::as_array) {
            return list[0]["code"].as_str().unwrap_or_default().to_owned();
        }
        let Some((key, inner)) = errors.as_object().and_then(|o| o.iter().next()) else {
            return String::new();
        };
        path.push(key.clone());
        walk(inner, path)
    }
    let mut path = vec![];
    let code = walk(&body["errors"], &mut path);
    (path.join("."), code)
}

#[tokio::test]
async fn a_scheduled_event_is_created_listed_run_to_completion_and_deleted_in_the_spec_s_shape() {
    let fake = FakeDiscord::start().await;

    let id = create_event(&fake, "Standup").await;
    let stored = fake.scheduled_event(GUILD, id).expect("stored");
    assert_eq!(stored["status"], json!(1));
    assert_eq!(
        stored["entity_metadata"]["location"],
        "https://zoom.example/j/123"
    );
    assert_eq!(stored["creator_id"], FakeDiscord::BOT_USER_ID.to_string());
    let (status, list) = call(&fake, "GET", &events_path(), None).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(1)));
    let one = format!("{}/{id}", events_path());
    let (_, counted) = call(&fake, "GET", &format!("{one}?with_user_count=true"), None).await;
    assert_eq!(counted["user_count"], json!(0));

    let (status, active) = call(&fake, "PATCH", &one, Some(json!({ "status": 2 }))).await;
    assert_eq!((status, &active["status"]), (200, &json!(2)), "{active}");
    let (status, done) = call(&fake, "PATCH", &one, Some(json!({ "status": 3 }))).await;
    assert_eq!((status, &done["status"]), (200, &json!(3)), "{done}");
    assert_successes_match_the_spec(&fake, "/scheduled-events");

    let (status, _) = call(&fake, "DELETE", &one, None).await;
    assert_eq!(status, 204);
    assert!(fake.scheduled_events(GUILD).is_empty());
    let (status, gone) = call(&fake, "GET", &one, None).await;
    assert_eq!((status, &gone["code"]), (404, &json!(10070)));
    assert_eq!(gone["message"], "Unknown Guild Scheduled Event");
}

#[tokio::test]
async fn scheduled_event_bodies_that_break_discord_s_rules_get_50035_naming_the_field() {
    let fake = FakeDiscord::start().await;
    let with = |key: &str, value: Value| {
        let mut body = external_event("Standup");
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = external_event("Standup");
        body.as_object_mut().map(|o| o.remove(key));
        body
    };
    let cases = [
        (with("name", json!("")), "name"),
        (with("name", json!("n".repeat(101))), "name"),
        (with("description", json!("d".repeat(1001))), "description"),
        (with("privacy_level", json!(1)), "privacy_level"),
        (without("entity_metadata"), "entity_metadata.location"),
        (
            with("entity_metadata", json!({ "location": "l".repeat(101) })),
            "entity_metadata.location",
        ),
        (without("scheduled_end_time"), "scheduled_end_time"),
        (
            with("scheduled_start_time", json!(in_minutes(-5))),
            "scheduled_start_time",
        ),
        (
            with("scheduled_start_time", json!("tomorrow at 3")),
            "scheduled_start_time",
        ),
        (
            with("scheduled_end_time", json!(in_minutes(30))),
            "scheduled_end_time",
        ),
        (without("name"), "name"),
    ];
    for (body, field) in cases {
        let (status, error) = call(&fake, "POST", &events_path(), Some(body.clone())).await;
        assert_eq!(
            (status, &error["code"]),
            (400, &json!(50035)),
            "{body} → {error}"
        );
        assert_eq!(form_error(&error).0, field, "{body} → {error}");
    }
    assert!(fake.scheduled_events(GUILD).is_empty());

    // The edge of each rule is accepted.
    let mut edge = with("name", json!("n".repeat(100)));
    edge["description"] = json!("d".repeat(1000));
    edge["entity_metadata"] = json!({ "location": "l".repeat(100) });
    let (status, body) = call(&fake, "POST", &events_path(), Some(edge)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_event_moves_only_scheduled_to_active_to_completed_or_scheduled_to_canceled() {
    let fake = FakeDiscord::start().await;
    let status_error = |body: &Value| form_error(body).0 == "status";

    let first = format!("{}/{}", events_path(), create_event(&fake, "A").await);
    let (status, error) = call(&fake, "PATCH", &first, Some(json!({ "status": 3 }))).await;
    assert!(
        status == 400 && status_error(&error),
        "SCHEDULED→COMPLETED: {error}"
    );
    let (status, _) = call(&fake, "PATCH", &first, Some(json!({ "status": 4 }))).await;
    assert_eq!(status, 200, "SCHEDULED→CANCELED");
    let (status, error) = call(&fake, "PATCH", &first, Some(json!({ "status": 2 }))).await;
    assert!(
        status == 400 && status_error(&error),
        "CANCELED→ACTIVE: {error}"
    );

    let second = format!("{}/{}", events_path(), create_event(&fake, "B").await);
    call(&fake, "PATCH", &second, Some(json!({ "status": 2 }))).await;
    let (status, error) = call(&fake, "PATCH", &second, Some(json!({ "status": 4 }))).await;
    assert!(
        status == 400 && status_error(&error),
        "ACTIVE→CANCELED: {error}"
    );
    let (status, error) = call(&fake, "PATCH", &second, Some(json!({ "status": 1 }))).await;
    assert!(
        status == 400 && status_error(&error),
        "ACTIVE→SCHEDULED: {error}"
    );

    // Moving a scheduled event keeps Discord's time rules.
    let third = format!("{}/{}", events_path(), create_event(&fake, "C").await);
    let late =
        json!({ "scheduled_start_time": in_minutes(120), "scheduled_end_time": in_minutes(150) });
    let (status, moved) = call(&fake, "PATCH", &third, Some(late)).await;
    assert_eq!(status, 200, "{moved}");
    let backwards = json!({ "scheduled_end_time": in_minutes(100) });
    let (status, error) = call(&fake, "PATCH", &third, Some(backwards)).await;
    assert_eq!(
        (status, form_error(&error).0.as_str()),
        (400, "scheduled_end_time")
    );
    let past = json!({ "scheduled_start_time": in_minutes(-1) });
    let (status, error) = call(&fake, "PATCH", &third, Some(past)).await;
    assert_eq!(
        (status, form_error(&error).0.as_str()),
        (400, "scheduled_start_time")
    );
    let (_, renamed) = call(&fake, "PATCH", &third, Some(json!({ "name": "Renamed" }))).await;
    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(
        fake.scheduled_event(GUILD, id_from(&renamed))
            .expect("kept")["name"],
        "Renamed"
    );
}

fn id_from(event: &Value) -> u64 {
    event["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("an id")
}

#[tokio::test]
async fn missing_permission_the_100_event_cap_and_a_moderator_s_delete_answer_as_discord_does() {
    let fake = FakeDiscord::start().await;
    let id = create_event(&fake, "Kept").await;
    let one = format!("{}/{id}", events_path());

    fake.deny_create_events(GUILD, true);
    for (method, path, body) in [
        ("POST", events_path(), Some(external_event("New"))),
        ("PATCH", one.clone(), Some(json!({ "name": "x" }))),
        ("DELETE", one.clone(), None),
    ] {
        let (status, error) = call(&fake, method, &path, body).await;
        assert_eq!((status, &error["code"]), (403, &json!(50013)), "{method}");
        assert_eq!(error["message"], "Missing Permissions");
    }
    assert_eq!(
        call(&fake, "GET", &one, None).await.0,
        200,
        "reading needs no permission"
    );
    fake.deny_create_events(GUILD, false);

    for n in 1..100 {
        create_event(&fake, &format!("Event {n}")).await;
    }
    let (status, error) = call(&fake, "POST", &events_path(), Some(external_event("101st"))).await;
    assert_eq!((status, &error["code"]), (400, &json!(30038)), "{error}");
    assert_eq!(
        error["message"],
        "Maximum number of guild scheduled events reached (100)"
    );
    // A canceled event no longer counts.
    call(&fake, "PATCH", &one, Some(json!({ "status": 4 }))).await;
    let (status, _) = call(&fake, "POST", &events_path(), Some(external_event("101st"))).await;
    assert_eq!(status, 200);

    fake.delete_event_as_moderator(GUILD, id);
    assert!(fake.scheduled_event(GUILD, id).is_none());
    for (method, body) in [
        ("GET", None),
        ("PATCH", Some(json!({ "name": "x" }))),
        ("DELETE", None),
    ] {
        let (status, error) = call(&fake, method, &one, body).await;
        assert_eq!((status, &error["code"]), (404, &json!(10070)), "{method}");
    }
}

#[tokio::test]
async fn interested_members_are_listed_by_id_with_limit_before_after_and_member_objects() {
    let fake = FakeDiscord::start().await;
    let id = create_event(&fake, "Standup").await;
    for user in [30, 10, 20] {
        assert!(fake.add_interested(GUILD, id, user));
    }
    assert!(!fake.add_interested(GUILD, id + 1, 40), "no such event");
    let users = |query: &str| format!("{}/{id}/users{query}", events_path());
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|u| u["user_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    let (status, all) = call(&fake, "GET", &users(""), None).await;
    assert_eq!(
        (status, ids(&all)),
        (200, vec!["10".into(), "20".into(), "30".into()])
    );
    assert_eq!(all[0]["user"]["id"], "10");
    assert_eq!(all[0]["response"], json!(1));
    assert!(all[0].get("member").is_none());
    assert_eq!(
        ids(&call(&fake, "GET", &users("?limit=2"), None).await.1),
        ["10", "20"]
    );
    assert_eq!(
        ids(&call(&fake, "GET", &users("?after=10"), None).await.1),
        ["20", "30"]
    );
    assert_eq!(
        ids(&call(&fake, "GET", &users("?before=30"), None).await.1),
        ["10", "20"]
    );
    let (_, members) = call(&fake, "GET", &users("?with_member=true"), None).await;
    assert_eq!(members[2]["member"]["user"]["id"], "30");
    let (status, error) = call(&fake, "GET", &users("?limit=101"), None).await;
    assert_eq!((status, form_error(&error).0.as_str()), (400, "limit"));

    assert!(fake.remove_interested(GUILD, id, 20));
    assert_eq!(
        ids(&call(&fake, "GET", &users(""), None).await.1),
        ["10", "30"]
    );
    let counted = format!("{}/{id}?with_user_count=true", events_path());
    assert_eq!(
        call(&fake, "GET", &counted, None).await.1["user_count"],
        json!(2)
    );
    assert_successes_match_the_spec(&fake, "/users");
}

fn messages_path(channel: u64) -> String {
    format!("/channels/{channel}/messages")
}

fn reminder(nonce: &Value) -> Value {
    json!({ "content": "Standup starts in 10 minutes", "nonce": nonce, "enforce_nonce": true })
}

#[tokio::test]
async fn a_repeated_nonce_answers_the_first_message_for_five_minutes_and_posts_nothing() {
    let fake = FakeDiscord::start().await;
    let post = |body: Value| {
        let fake = fake.clone();
        async move { call(&fake, "POST", &messages_path(CHANNEL), Some(body)).await }
    };

    let (status, first) = post(reminder(&json!("reminder-42"))).await;
    assert_eq!(
        (status, &first["nonce"]),
        (200, &json!("reminder-42")),
        "{first}"
    );
    fake.advance_clock(Duration::from_secs(4 * 60));
    let (status, again) = post(reminder(&json!("reminder-42"))).await;
    assert_eq!((status, &again["id"]), (200, &first["id"]));
    assert_eq!(fake.posts_created(CHANNEL), 1);
    let replays: Vec<fake_discord::NonceReplay> = fake.nonce_replays();
    assert_eq!(replays.len(), 1);
    assert_eq!(
        (
            replays[0].channel_id,
            replays[0].nonce.as_str(),
            replays[0].message_id
        ),
        (CHANNEL, "reminder-42", id_from(&first))
    );

    // Without enforce_nonce, or in another channel, the same nonce posts again.
    let mut loose = reminder(&json!("reminder-42"));
    loose["enforce_nonce"] = json!(false);
    let (_, unenforced) = post(loose).await;
    assert_ne!(unenforced["id"], first["id"]);
    let (_, elsewhere) = call(
        &fake,
        "POST",
        &messages_path(CHANNEL + 1),
        Some(reminder(&json!("reminder-42"))),
    )
    .await;
    assert_ne!(elsewhere["id"], first["id"]);

    // An integer nonce works the same way.
    let (_, numbered) = post(reminder(&json!(4242))).await;
    assert_eq!(post(reminder(&json!(4242))).await.1["id"], numbered["id"]);
    assert_eq!(
        fake.message(id_from(&numbered))
            .expect("kept")
            .nonce
            .as_deref(),
        Some("4242")
    );

    // Past the window Discord has forgotten the nonce.
    fake.advance_clock(Duration::from_secs(5 * 60 + 1));
    let (status, later) = post(reminder(&json!("reminder-42"))).await;
    assert_eq!(status, 200);
    assert_ne!(later["id"], first["id"]);
    assert_eq!(fake.posts_created(CHANNEL), 4);
    assert_eq!(fake.nonce_replays().len(), 2);

    let (status, error) = post(reminder(&json!("n".repeat(26)))).await;
    assert_eq!((status, form_error(&error).0.as_str()), (400, "nonce"));
    assert_successes_match_the_spec(&fake, "/messages");
}

#[tokio::test]
async fn a_reply_keeps_its_reference_and_allowed_mentions_and_an_unknown_one_is_refused() {
    let fake = FakeDiscord::start().await;
    let (_, original) = call(
        &fake,
        "POST",
        &messages_path(CHANNEL),
        Some(json!({ "content": "Standup" })),
    )
    .await;
    let original_id = id_from(&original);
    let mentions = json!({ "parse": [], "users": ["10", "20"] });

    let body = json!({
        "content": "<@10> <@20> starting now",
        "allowed_mentions": mentions,
        "message_reference": { "message_id": original_id.to_string() },
    });
    let (status, reply) = call(&fake, "POST", &messages_path(CHANNEL), Some(body)).await;
    assert_eq!((status, &reply["type"]), (200, &json!(19)), "{reply}");
    assert_eq!(
        reply["message_reference"]["message_id"],
        original_id.to_string()
    );
    let stored = fake.message(id_from(&reply)).expect("stored");
    assert_eq!(stored.allowed_mentions, Some(mentions));
    assert_eq!(
        stored.reference.expect("a reference")["channel_id"],
        CHANNEL.to_string()
    );
    assert_successes_match_the_spec(&fake, "/messages");

    let to_nothing = json!({ "content": "hi", "message_reference": { "message_id": "1" } });
    let (status, error) = call(&fake, "POST", &messages_path(CHANNEL), Some(to_nothing)).await;
    assert_eq!((status, &error["code"]), (400, &json!(50035)));
    assert_eq!(
        form_error(&error),
        (
            "message_reference".into(),
            "MESSAGE_REFERENCE_UNKNOWN_MESSAGE".into()
        )
    );
    // A message of another channel is not one to reply to here.
    let elsewhere =
        json!({ "content": "hi", "message_reference": { "message_id": original_id.to_string() } });
    let (status, _) = call(&fake, "POST", &messages_path(CHANNEL + 1), Some(elsewhere)).await;
    assert_eq!(status, 400);
    let lenient = json!({ "content": "hi", "message_reference": { "message_id": "1", "fail_if_not_exists": false } });
    let (status, plain) = call(&fake, "POST", &messages_path(CHANNEL), Some(lenient)).await;
    assert_eq!((status, &plain["type"]), (200, &json!(0)));
    assert!(
        fake.message(id_from(&plain))
            .expect("sent")
            .reference
            .is_none()
    );
}

#[tokio::test]
async fn a_deleted_channel_answers_10003_and_one_the_bot_cannot_see_50001() {
    let fake = FakeDiscord::start().await;
    let hello = || Some(json!({ "content": "hello" }));
    let (gone, hidden) = (CHANNEL + 10, CHANNEL + 11);

    fake.delete_channel(gone);
    let (status, error) = call(&fake, "POST", &messages_path(gone), hello()).await;
    assert_eq!(
        (status, &error["code"], &error["message"]),
        (404, &json!(10003), &json!("Unknown Channel"))
    );
    fake.deny_channel(hidden, true);
    let (status, error) = call(&fake, "POST", &messages_path(hidden), hello()).await;
    assert_eq!(
        (status, &error["code"], &error["message"]),
        (403, &json!(50001), &json!("Missing Access"))
    );
    assert_eq!(fake.posts_created(gone) + fake.posts_created(hidden), 0);

    fake.deny_channel(hidden, false);
    assert_eq!(
        call(&fake, "POST", &messages_path(hidden), hello()).await.0,
        200
    );
    assert_eq!(
        call(&fake, "POST", &messages_path(CHANNEL), hello())
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_bot_s_servers_carry_its_permissions_and_a_rejected_token_gets_401_everywhere() {
    let fake = FakeDiscord::start().await;
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|g| g["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    let (status, guilds) = call(&fake, "GET", "/users/@me/guilds", None).await;
    assert_eq!(
        (status, names(&guilds)),
        (200, vec![FakeDiscord::GUILD_NAME.to_owned()])
    );
    let bits: u64 = guilds[0]["permissions"]
        .as_str()
        .expect("a string")
        .parse()
        .expect("bits");
    assert_ne!(
        bits & fake_discord::CREATE_EVENTS,
        0,
        "the test server has all zoombot needs"
    );

    let other = GUILD + 100;
    fake.add_guild(other, "Book Club", 1 << 10);
    fake.set_guild_permissions(other, (1 << 10) | (1 << 11));
    fake.set_guild_permissions(GUILD + 200, 0);
    let (_, guilds) = call(&fake, "GET", "/users/@me/guilds?with_counts=true", None).await;
    assert_eq!(names(&guilds).len(), 3);
    assert_eq!(
        guilds[1]["permissions"],
        ((1u64 << 10) | (1 << 11)).to_string()
    );
    assert!(guilds[1]["approximate_member_count"].is_number());
    let (_, page) = call(
        &fake,
        "GET",
        &format!("/users/@me/guilds?after={GUILD}&limit=1"),
        None,
    )
    .await;
    assert_eq!(names(&page), ["Book Club"]);
    fake.remove_guild(GUILD + 200);
    assert_eq!(
        names(&call(&fake, "GET", "/users/@me/guilds", None).await.1).len(),
        2
    );
    assert_successes_match_the_spec(&fake, "/users/@me");

    fake.reject_token(true);
    for path in [
        "/users/@me",
        "/users/@me/guilds",
        "/oauth2/applications/@me",
    ] {
        let (status, error) = call(&fake, "GET", path, None).await;
        assert_eq!(
            (status, &error["code"], &error["message"]),
            (401, &json!(0), &json!("401: Unauthorized")),
            "{path}"
        );
    }
    let (status, _) = call(
        &fake,
        "POST",
        &messages_path(CHANNEL),
        Some(json!({ "content": "x" })),
    )
    .await;
    assert_eq!(status, 401);
    fake.reject_token(false);
    assert_eq!(call(&fake, "GET", "/users/@me", None).await.0, 200);
}

#[tokio::test]
async fn a_rejected_token_ends_serenity_s_gateway_with_4004() {
    let fake = FakeDiscord::start().await;
    fake.reject_token(true);
    let mut client: Client = ClientBuilder::new_with_http(fake_http(&fake), GatewayIntents::GUILDS)
        .await
        .expect("the serenity client builds");
    let ended = tokio::time::timeout(WAIT, client.start())
        .await
        .expect("serenity gives up on 4004 in time");
    assert!(
        matches!(
            ended,
            Err(serenity::Error::Gateway(
                serenity::gateway::GatewayError::InvalidAuthentication
            ))
        ),
        "{ended:?}"
    );
    assert_eq!(fake.identify_count(), 1);
}

/// What the bot side will do through serenity: its builders' bodies pass the fake's checks and
/// the spec, and serenity reads every answer.
#[tokio::test]
async fn serenity_runs_an_event_through_its_life_and_sends_a_nonced_reply_the_fake_dedupes() {
    use serenity::all::{
        CreateAllowedMentions, CreateScheduledEvent, EditScheduledEvent, Nonce,
        ScheduledEventStatus, ScheduledEventType, Timestamp,
    };
    let fake = FakeDiscord::start().await;
    let http = fake_http(&fake);
    let guild = GuildId::new(GUILD);
    let at = |minutes: i64| {
        Timestamp::from_unix_timestamp(jiff::Timestamp::now().as_second() + minutes * 60)
            .expect("a time")
    };

    let create = CreateScheduledEvent::new(ScheduledEventType::External, "Standup", at(60))
        .end_time(at(90))
        .location("https://zoom.example/j/123")
        .description("Weekly");
    let event = guild
        .create_scheduled_event(&http, create)
        .await
        .expect("created");
    assert_eq!(event.status, ScheduledEventStatus::Scheduled);
    assert!(fake.add_interested(GUILD, event.id.get(), 10));
    let users = guild
        .scheduled_event_users_optioned(&http, event.id, Some(10), None, Some(true))
        .await
        .expect("users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].user.id, UserId::new(10));
    assert!(users[0].member.is_some());
    let started = guild
        .edit_scheduled_event(
            &http,
            event.id,
            EditScheduledEvent::new().status(ScheduledEventStatus::Active),
        )
        .await
        .expect("started");
    assert_eq!(started.status, ScheduledEventStatus::Active);
    let listed = guild.scheduled_events(&http, true).await.expect("listed");
    assert_eq!(listed[0].user_count, Some(1));
    fake.deny_create_events(GUILD, true);
    let refused = guild.delete_scheduled_event(&http, event.id).await;
    assert_eq!(outcome(refused), "403/50013");
    fake.deny_create_events(GUILD, false);
    guild
        .delete_scheduled_event(&http, event.id)
        .await
        .expect("deleted");

    let channel = ChannelId::new(CHANNEL);
    let reminder = CreateMessage::new()
        .content("Standup starts in 10 minutes")
        .nonce(Nonce::String("reminder-1".to_owned()))
        .enforce_nonce(true);
    let first = channel
        .send_message(&http, reminder.clone())
        .await
        .expect("sent");
    let again = channel
        .send_message(&http, reminder)
        .await
        .expect("answered");
    assert_eq!(again.id, first.id);
    let reply = CreateMessage::new()
        .content("<@10> it starts now")
        .reference_message(&first)
        .allowed_mentions(CreateAllowedMentions::new().users([UserId::new(10)]));
    let replied = channel.send_message(&http, reply).await.expect("replied");
    let stored = fake.message(replied.id.get()).expect("stored");
    assert_eq!(
        stored.reference.expect("a reply")["message_id"],
        first.id.to_string()
    );
    assert_eq!(
        stored.allowed_mentions.expect("kept")["users"],
        json!(["10"])
    );
    assert_eq!(fake.posts_created(CHANNEL), 2);

    if let Some(spec) = DiscordSpec::load() {
        let ok: Vec<Recorded> = fake
            .requests()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect();
        assert_requests_and_answers_match_the_spec(&spec, &ok);
    }
}
