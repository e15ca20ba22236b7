//! `/meetings list`, `/meetings cancel`, `/meetings reschedule`, `/meetings host-link`. Every
//! answer is private.

use serenity::all::CreateAutocompleteResponse;

use super::commands::{Call, Command, Reply};
use super::declare::{Declaration, Opt, Sub};
use super::reply;
use crate::meetings::{RescheduleInput, Scope, ServiceError};
use crate::scheduling::plan::MeetInput;

/// `scope:` values.
const CHANNEL: &str = "channel";
const SERVER: &str = "server";
const SCOPE: Opt = Opt::text(
    "scope",
    "Whose meetings (default: this channel's and yours)",
)
.choices(&[
    ("this channel's and yours", CHANNEL),
    ("the whole server (Manage Server)", SERVER),
]);
const MEETING: Opt = Opt::text(
    "meeting",
    "An upcoming meeting of this channel, or one of yours",
)
.required()
.autocomplete();

const LIST: Sub = Sub {
    name: "list",
    description: "Upcoming meetings, soonest first",
    options: &[SCOPE],
};
/// `which:` values, for a series.
const NEXT: &str = "next";
const ALL: &str = "all";
const WHICH: Opt = Opt::text(
    "which",
    "For a series: its next meeting (default) or all of it",
)
.choices(&[("the next meeting", NEXT), ("the whole series", ALL)]);
const CANCEL: Sub = Sub {
    name: "cancel",
    description: "Cancel a meeting (its creator or a server manager)",
    options: &[MEETING, WHICH],
};
const WHEN: Opt = Opt::text(
    "when",
    "The new start: tomorrow 4pm, in 2h, next fri 9:30, 24 dec 18:00 ET",
)
.required()
.max_len(100)
.autocomplete();
const DURATION: Opt =
    Opt::text("duration", "A new length: 45m, 1h30m (default: as it was)").max_len(32);
const TIMEZONE: Opt = Opt::zone(
    "timezone",
    "The time zone `when` is read in, like Europe/Berlin",
);
const RESCHEDULE: Sub = Sub {
    name: "reschedule",
    description: "Move a meeting to another time (its creator or a server manager)",
    options: &[MEETING, WHEN, DURATION, TIMEZONE],
};
const CALENDAR: Sub = Sub {
    name: "calendar",
    description: "A meeting as a calendar file (.ics), with its join link",
    options: &[MEETING],
};
const HOST_LINK: Sub = Sub {
    name: "host-link",
    description: "A fresh host link for a meeting you scheduled",
    options: &[MEETING],
};

const DECLARATION: Declaration = Declaration::new("meetings", "This server's Zoom meetings")
    .subcommands(&[LIST, CANCEL, RESCHEDULE, CALENDAR, HOST_LINK]);

/// `/meetings`.
pub struct MeetingsCommand;

/// The meeting a member picked: the autocomplete value is the Zoom id; a typed id may have spaces.
fn meeting_id(value: &str) -> Option<i64> {
    value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .parse()
        .ok()
}

#[serenity::async_trait]
impl Command for MeetingsCommand {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    async fn run(&self, call: Call<'_>) -> Result<Reply, ServiceError> {
        let (args, who, service) = (call.args, &call.who, call.service);
        if args.is(&LIST) {
            // The declaration's choices are the only values that get here.
            let scope = match args.text(&SCOPE) {
                Some(SERVER) => Scope::Server,
                _ => Scope::Channel,
            };
            let meetings = service.upcoming(who, scope).await?;
            return Ok(Reply::Private(reply::meeting_list(
                &meetings,
                scope,
                who.channel,
            )));
        }
        let typed = args.text(&MEETING).unwrap_or_default();
        // Typed instead of picked: say what was typed, not "meeting 0".
        let Some(id) = meeting_id(typed) else {
            return Ok(Reply::Private(reply::not_a_meeting(typed)));
        };
        if args.is(&CANCEL) {
            let (record, skipped) = if args.text(&WHICH) == Some(ALL) {
                (service.cancel(who, id).await?, None)
            } else {
                service.cancel_next(who, id).await?
            };
            if let Some(start) = skipped {
                tracing::info!(meeting_id = id, "a series' occurrence cancelled");
                let problem =
                    super::announce::occurrence_cancelled(call.rest, call.service, &record).await;
                return Ok(Reply::Private(reply::occurrence_cancelled(
                    &record, start, problem,
                )));
            }
            let problem = super::announce::cancelled(call.rest, &record, Some(who.member.0)).await;
            tracing::info!(meeting_id = id, "meeting cancelled");
            return Ok(Reply::Private(reply::cancelled(&record, problem)));
        }
        if args.is(&RESCHEDULE) {
            let text = |option| args.text(option).map(str::to_owned);
            let input = RescheduleInput {
                when: text(&WHEN).unwrap_or_default(),
                duration: text(&DURATION),
                timezone: text(&TIMEZONE),
                locale: (!call.locale.is_empty()).then(|| call.locale.to_owned()),
            };
            let moved = service.reschedule(who, id, &input).await?;
            tracing::info!(meeting_id = id, "meeting rescheduled");
            if moved.after.reminder_due.is_some() {
                call.rest.metrics().reminders.inc(&["scheduled"]);
            }
            let problem =
                super::announce::rescheduled(call.rest, service, &moved, who.member.0).await;
            return Ok(Reply::Private(reply::rescheduled(&moved, problem)));
        }
        if args.is(&CALENDAR) {
            let (record, join_url) = service.join_link(who, id).await?;
            return Ok(Reply::Private(
                match reply::calendar_file(&record, &join_url) {
                    Some(file) => reply::calendar_answer(&record, file),
                    None => reply::private(
                        "Zoom gave this meeting a join link calendars can't take.".to_owned(),
                    ),
                },
            ));
        }
        let (record, link) = service.host_link(who, id).await?;
        Ok(Reply::Private(reply::host_link(&record, &link)))
    }

    /// Suggestions for the `meeting` option: the upcoming meetings of this channel and the
    /// member's own (for host-link, only their own), matching what was typed. Never the whole
    /// server's, even for managers: other channels' meetings are shown only when asked for
    /// (`scope:server`).
    async fn autocomplete(&self, call: Call<'_>) -> CreateAutocompleteResponse {
        match call.args.focused() {
            Some((name, typed)) if name == WHEN.name => {
                let input = MeetInput {
                    timezone: call.args.text(&TIMEZONE).map(str::to_owned),
                    locale: (!call.locale.is_empty()).then(|| call.locale.to_owned()),
                    ..MeetInput::default()
                };
                let typed = typed.to_owned();
                return super::meet::when_suggestions(call.service, &call.who, &input, &typed)
                    .await;
            }
            Some((name, _)) if name == TIMEZONE.name => {
                return super::timezone::suggestions(&call.args);
            }
            _ => {}
        }
        let Call {
            args, who, service, ..
        } = call;
        let own_only = args.is(&HOST_LINK);
        let query = args
            .focused()
            .map(|(_, typed)| typed.to_lowercase())
            .unwrap_or_default();
        let meetings = service
            .upcoming(&who, Scope::Channel)
            .await
            .unwrap_or_default();
        meetings
            .iter()
            .filter(|m| !own_only || m.creator == who.member)
            .filter(|m| {
                m.topic.to_lowercase().contains(&query) || m.zoom_id.to_string().contains(&query)
            })
            .take(25)
            .fold(CreateAutocompleteResponse::new(), |r, m| {
                let when = m.start.strftime("%a %-d %b %H:%M UTC").to_string();
                let mut name = format!("{} · {when}", m.topic);
                if name.chars().count() > 100 {
                    name = format!(
                        "{}… · {when}",
                        m.topic
                            .chars()
                            .take(100 - when.chars().count() - 4)
                            .collect::<String>()
                    );
                }
                r.add_string_choice(name, m.zoom_id.to_string())
            })
    }
}
