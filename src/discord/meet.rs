//! `/meet`: schedule a Zoom meeting.
//!
//! The acknowledgement is ephemeral on purpose (declarations are private by default, a test keeps
//! every command so, and the router acknowledges as declared): the requester's private answer
//! (host link, or the reason for a refusal) becomes the original response, and the public message
//! a follow-up sent after it. A public defer would turn the first follow-up public whatever its
//! flags (Discord replaces a "thinking" original with it), which is how other bots leak host links.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serenity::all::CreateAutocompleteResponse;

use super::commands::{Call, Command, Reply};
use super::declare::{Args, Declaration, Opt};
use crate::meetings::{Meetings, Requester, ServiceError};
use crate::scheduling::plan::{
    AGENDA_MAX, MeetInput, PASSCODE_MAX, PlanError, Recording, TOPIC_MAX, resolve_zone,
};
use crate::scheduling::{WhenContext, suggest_when};

const TOPIC: Opt = Opt::text("topic", "What the meeting is about")
    .required()
    .max_len(TOPIC_MAX)
    .too_long(|n| PlanError::TopicTooLong(n).to_string());
const DURATION: Opt = Opt::text(
    "duration",
    "How long: 45m, 1h30m (1 minute to 24 hours; default 30m)",
)
.max_len(32);
// Each choice shows the instant it means before the member sends.
const WHEN: Opt = Opt::text(
    "when",
    "now, in 2h, tomorrow 3pm, next fri 9:30, 24 dec 18:00 ET (default now)",
)
.max_len(100)
.autocomplete();
const TIMEZONE: Opt = Opt::zone(
    "timezone",
    "The time zone `when` is read in, like Europe/Berlin",
);
const AGENDA: Opt = Opt::text("agenda", "What the meeting will cover")
    .max_len(AGENDA_MAX)
    .too_long(|n| PlanError::AgendaTooLong(n).to_string());
const PASSCODE: Opt = Opt::text(
    "passcode",
    "Up to 10 letters, digits, @ - _ * (default: Zoom makes one)",
)
.max_len(PASSCODE_MAX)
.too_long(|_| PlanError::BadPasscode.to_string());
const WAITING_ROOM: Opt = Opt::flag(
    "waiting_room",
    "Hold participants in a waiting room until the host admits them",
);
const RECORDING: Opt = Opt::text("recording", "Record automatically").choices(&Recording::CHOICES);

const REPEAT: Opt = Opt::text(
    "repeat",
    "Make it a series at the same time in its zone (needs when)",
)
.choices(&[
    ("daily", "daily"),
    ("weekly", "weekly"),
    ("every other week", "biweekly"),
    ("monthly (days 1 to 28)", "monthly"),
]);
const OCCURRENCES: Opt = Opt::integer(
    "occurrences",
    "How many meetings the series has, the first included (2 to 60; default 10)",
)
.range(2, 60);

const DECLARATION: Declaration = Declaration::new(
    "meet",
    "Schedule a Zoom meeting: the channel gets the join link, you get the host link",
)
.options(&[
    TOPIC,
    DURATION,
    WHEN,
    TIMEZONE,
    AGENDA,
    PASSCODE,
    WAITING_ROOM,
    RECORDING,
    REPEAT,
    OCCURRENCES,
])
.kept_until_answered();

/// `/meet`.
pub struct Meet;

/// Reads `/meet`'s options into the domain's input; `locale` is the member's Discord language.
fn input(args: &Args<'_>, locale: &str) -> MeetInput {
    let text = |option| args.text(option).map(str::to_owned);
    MeetInput {
        topic: text(&TOPIC).unwrap_or_default(),
        duration: text(&DURATION),
        when: text(&WHEN),
        timezone: text(&TIMEZONE),
        agenda: text(&AGENDA),
        passcode: text(&PASSCODE),
        waiting_room: args.flag(&WAITING_ROOM),
        recording: args.text(&RECORDING).and_then(Recording::from_name),
        locale: (!locale.is_empty()).then(|| locale.to_owned()),
        repeat: args.text(&REPEAT).and_then(|r| r.parse().ok()),
        occurrences: args.integer(&OCCURRENCES),
    }
}

#[serenity::async_trait]
impl Command for Meet {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    /// Creates the meeting; the router answers privately with the host link and posts the
    /// public message.
    async fn run(&self, call: Call<'_>) -> Result<Reply, ServiceError> {
        let input = input(&call.args, call.locale);
        let mut created = if call.resumed {
            // A /meet whose process died: its meeting, whatever of it that process had done.
            let created = call
                .service
                .resume_create(&call.who, &input, call.at)
                .await?;
            if created.record.message.is_some() {
                return Ok(Reply::Done);
            }
            created
        } else {
            call.service.create_at(&call.who, &input, call.at).await?
        };
        tracing::info!(meeting_id = created.meeting.id, "meeting created");
        if created.record.reminder_due.is_some() {
            call.rest.metrics().reminders.inc(&["scheduled"]);
        }
        if created.record.event.is_none() {
            super::announce::create_event(call.rest, call.service, &mut created).await;
        }
        Ok(Reply::Created(Box::new(created)))
    }

    async fn autocomplete(&self, call: Call<'_>) -> CreateAutocompleteResponse {
        match call.args.focused() {
            Some((name, typed)) if name == WHEN.name => {
                when_suggestions(
                    call.service,
                    &call.who,
                    &input(&call.args, call.locale),
                    typed,
                )
                .await
            }
            _ => super::timezone::suggestions(&call.args),
        }
    }
}

/// Choices for `when` as the member types it: each shows the instant it would mean in the zone
/// that applies (typed, option, member, server), and sends a canonical text for exactly that.
pub(super) async fn when_suggestions(
    service: &Meetings,
    who: &Requester,
    input: &MeetInput,
    typed: &str,
) -> CreateAutocompleteResponse {
    // A member the server does not let schedule is refused on sending; the reading is still theirs.
    let defaults = service
        .meet_defaults(who)
        .await
        .map(|(_, defaults)| defaults)
        .unwrap_or_default();
    let zone = resolve_zone(input, &defaults)
        .or_else(|_| {
            // A timezone option still being typed is refused on sending; read in the rest meanwhile.
            let without = MeetInput {
                timezone: None,
                ..input.clone()
            };
            resolve_zone(&without, &defaults)
        })
        .map_or(TimeZone::UTC, |(zone, _)| zone);
    let context = WhenContext {
        now: Timestamp::now(),
        zone: &zone,
        locale: input.locale.as_deref(),
    };
    suggest_when(typed, &context)
        .into_iter()
        .fold(CreateAutocompleteResponse::new(), |r, choice| {
            r.add_string_choice(choice.name, choice.value)
        })
}

/// "Start as host": a fresh start link for the meeting's creator (the service refuses anyone
/// else).
pub async fn start(service: &Meetings, who: Requester, id: i64) -> Result<Reply, ServiceError> {
    let (record, link) = service.host_link(&who, id).await?;
    Ok(Reply::Private(super::reply::host_link(&record, &link)))
}
