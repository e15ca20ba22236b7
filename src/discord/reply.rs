//! Every word a member sees: the public meeting message, private replies and error texts. Every
//! message sets `allowed_mentions` to nothing, so text a member typed cannot ping anyone.

mod accounts;
mod errors;
mod lifecycle;
mod list;

pub use accounts::*;
pub use lifecycle::*;
pub use list::meeting_list;

use std::fmt::Write;

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, EditMessage,
};

use super::commands::START_BUTTON;
use crate::meetings::{Created, EffectiveSettings};
use crate::scheduling::plan::{MeetingPlan, ZoneSource};
use crate::scheduling::{clean, shown};
use crate::store::{MeetingRecord, SettingField};

/// Embed colour of a scheduled meeting (Zoom blue) and of a cancelled one (grey).
const SCHEDULED: u32 = 0x002D_8CFF;
const CANCELLED: u32 = 0x0099_AAB5;

/// Mentions nobody, whatever the text says.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .everyone(false)
        .replied_user(false)
}

/// `text` shown literally inside a message: Discord's markdown (links, bold, spoilers, mentions,
/// timestamps, headings, lists) escaped, so a topic or an agenda cannot dress itself up as a link
/// or break the formatting.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line_start = true;
    for c in text.chars() {
        // `#` and `-` are markdown only where a line begins: headings, subtext, lists.
        if "\\*_~|`[]()<>".contains(c) || (line_start && (c == '#' || c == '-')) {
            out.push('\\');
        }
        out.push(c);
        line_start = c == '\n' || (line_start && c.is_whitespace());
    }
    out
}

/// A Discord timestamp: every reader sees it in their own time zone.
fn stamp(t: jiff::Timestamp, style: char) -> String {
    format!("<t:{}:{style}>", t.as_second())
}

/// "857 4606 5432", as Zoom writes meeting ids.
pub fn spaced_id(id: i64) -> String {
    let digits = id.to_string();
    let split = if digits.len() > 10 { [3, 4] } else { [3, 3] };
    let (a, rest) = digits.split_at(split[0].min(digits.len()));
    let (b, c) = rest.split_at(split[1].min(rest.len()));
    [a, b, c]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn zone_note(zone: &str, plan: &MeetingPlan) -> String {
    let from = |source| match source {
        ZoneSource::Command => "the timezone option",
        ZoneSource::Member => "your time zone",
        ZoneSource::Server => "this server's time zone",
        ZoneSource::Default => "UTC, as nobody set a time zone",
        ZoneSource::Typed => "the zone typed in \"when\"",
    };
    let how = match (plan.zone_source, plan.overridden) {
        (ZoneSource::Typed, Some(over)) => format!("typed in \"when\", over {}", from(over)),
        (ZoneSource::Command, _) => "as given".to_owned(),
        (ZoneSource::Default, _) => "nobody set a time zone".to_owned(),
        (source, _) => from(source).to_owned(),
    };
    let note = plan
        .when_note
        .as_deref()
        .map(|n| format!(" {n}."))
        .unwrap_or_default();
    format!(
        "\"when\" was read in {zone} ({how}).{note} Times above show in each reader's own time zone."
    )
}

fn meeting_embed(record: &MeetingRecord) -> CreateEmbed {
    // A series shows its next occurrence, and how it repeats.
    let next = record
        .current(jiff::Timestamp::now())
        .unwrap_or(record.start);
    let mut embed = CreateEmbed::new()
        .title(record.topic.clone())
        .field(
            "Starts",
            format!("{} ({})", stamp(next, 'F'), stamp(next, 'R')),
            false,
        )
        .field("Duration", format!("{} min", record.duration_minutes), true)
        .field("Meeting ID", spaced_id(record.zoom_id), true)
        .field("Host", host_field(record), true);
    if let Some(series) = &record.series {
        embed = embed.field("Repeats", series.describe(&record.zoned_start()), false);
    }
    match lifecycle::event_field(record) {
        Some(event) => embed.field("Event", event, true),
        None => embed,
    }
}

/// Who hosts: the creator, and whether in their own Zoom account.
fn host_field(record: &MeetingRecord) -> String {
    if record.member_host {
        format!("<@{}> (their own Zoom account)", record.creator)
    } else {
        format!("<@{}>", record.creator)
    }
}

/// The public message for a new meeting: embed, Join link button, Start-as-host button.
fn public_parts(created: &Created) -> (CreateEmbed, CreateActionRow) {
    let record = &created.record;
    let zone = crate::scheduling::zone_name(created.plan.start.time_zone());
    let mut embed = meeting_embed(record)
        .colour(SCHEDULED)
        .footer(CreateEmbedFooter::new(zone_note(&zone, &created.plan)));
    if let Some(agenda) = &created.plan.agenda {
        embed = embed.description(markdown(agenda));
    }
    let mut buttons = vec![
        CreateButton::new_link(created.meeting.join_url.clone()).label("Join"),
        CreateButton::new(format!("{START_BUTTON}{}", record.zoom_id))
            .label("Start as host")
            .style(ButtonStyle::Secondary),
    ];
    if let Some(link) = lifecycle::google_calendar(record, &created.meeting.join_url) {
        buttons.push(CreateButton::new_link(link).label("Add to Google Calendar"));
    }
    let buttons = CreateActionRow::Buttons(buttons);
    (embed, buttons)
}

/// The public message, as the follow-up of the /meet interaction.
pub fn public_meeting(created: &Created) -> CreateInteractionResponseFollowup {
    let (embed, buttons) = public_parts(created);
    CreateInteractionResponseFollowup::new()
        .embed(embed)
        .components(vec![buttons])
        .allowed_mentions(no_mentions())
        .ephemeral(false)
}

/// The public message, posted to the channel directly (when the interaction cannot take it).
pub fn public_meeting_message(created: &Created) -> serenity::all::CreateMessage {
    let (embed, buttons) = public_parts(created);
    serenity::all::CreateMessage::new()
        .embed(embed)
        .components(vec![buttons])
        .allowed_mentions(no_mentions())
}

/// The public message once the meeting is cancelled: no buttons.
pub fn cancelled_meeting(record: &MeetingRecord, by: Option<u64>) -> EditMessage {
    let by = by.map_or_else(
        || "Cancelled.".to_owned(),
        |by| format!("Cancelled by <@{by}>."),
    );
    let embed = meeting_embed(record)
        .title(format!("Cancelled: {}", record.topic))
        .description(by)
        .colour(CANCELLED);
    EditMessage::new()
        .embed(embed)
        .components(Vec::new())
        .allowed_mentions(no_mentions())
}

/// The requester's private confirmation with the host link and the passcode.
pub fn private_host_link(created: &Created) -> EditInteractionResponse {
    let mut text = format!(
        "Scheduled **{}** for {}. The channel has the join link.",
        markdown(&created.plan.topic),
        stamp(created.plan.start.timestamp(), 'F')
    );
    if let Some(start_url) = &created.meeting.start_url {
        let _ = write!(
            text,
            "\n\nYour host link (it signs you in as the host; don't share it; valid about 2 hours, press \
             \"Start as host\" later for a fresh one): {}",
            start_url.expose()
        );
    }
    if let Some(passcode) = created.meeting.password.as_ref().filter(|p| !p.is_empty()) {
        let _ = write!(text, "\nPasscode: `{}`", passcode.expose());
    }
    if let Some(series) = &created.plan.series {
        let _ = write!(
            text,
            "\nIt repeats {}.",
            series.describe(&created.plan.start)
        );
    }
    if let Some(link) = lifecycle::google_calendar(&created.record, &created.meeting.join_url) {
        let _ = write!(
            text,
            "\n[Add it to Google Calendar]({link}) · `/meetings calendar` gives a calendar file."
        );
    }
    if let Some(problem) = created.event_problem {
        let _ = write!(text, "\n\n{}", lifecycle::event_problem(problem));
    }
    private(text)
}

/// A fresh host link, privately.
pub fn host_link(record: &MeetingRecord, link: &crate::secret::Secret) -> EditInteractionResponse {
    private(format!(
        "Host link for **{}** (it signs you in as the host; don't share it; valid about 2 hours): {}",
        markdown(&record.topic),
        link.expose()
    ))
}

/// A private answer that is one embed.
pub(super) fn private_embed(title: &str, description: String) -> EditInteractionResponse {
    let embed = CreateEmbed::new()
        .title(title)
        .description(description)
        .colour(SCHEDULED);
    EditInteractionResponse::new()
        .content("")
        .embed(embed)
        .allowed_mentions(no_mentions())
}

/// The requester's host link by direct message (when the server opted in).
pub fn direct_host_link(created: &Created) -> Option<serenity::all::CreateMessage> {
    let link = created.meeting.start_url.as_ref()?;
    Some(
        serenity::all::CreateMessage::new()
            .content(format!(
                "Host link for **{}** ({}); it signs you in as the host, don't share it: {}",
                markdown(&created.plan.topic),
                stamp(created.plan.start.timestamp(), 'F'),
                link.expose()
            ))
            .allowed_mentions(no_mentions()),
    )
}

/// One line per setting: its effective value, marked "(default)" where the server set nothing.
pub fn settings(settings: &EffectiveSettings, title: &str) -> EditInteractionResponse {
    let mut lines = String::new();
    for field in SettingField::ALL {
        let shown = settings.set.shown(*field).unwrap_or_else(|| {
            format!(
                "{} *(default)*",
                field.default_shown(&settings.default_host_user)
            )
        });
        let _ = writeln!(lines, "**{}**: {shown}", field.name());
    }
    lines.push_str(
        "\nA member's own /meet-timezone comes before the server's time zone, and /meet's options before both.",
    );
    private_embed(title, lines)
}

/// The confirmation of `/meet-timezone`, with the member's local "now".
pub fn member_timezone(zone: Option<&str>) -> EditInteractionResponse {
    let now = jiff::Timestamp::now();
    let text = match zone.and_then(|z| jiff::tz::TimeZone::get(z).ok().map(|tz| (z, tz))) {
        Some((name, tz)) => format!(
            "Your time zone is now **{name}**: it is {} there ({} on your device). /meet reads `when` in it \
             unless you give timezone:.",
            now.to_zoned(tz).strftime("%A %-d %B, %H:%M"),
            stamp(now, 't')
        ),
        None => "Your time zone is cleared: /meet reads `when` in the server's time zone (or UTC)."
            .to_owned(),
    };
    private(text)
}

/// By direct message, when the bot could not acknowledge a command (it came too late, or Discord
/// failed): nothing was done.
pub fn too_late() -> serenity::all::CreateMessage {
    serenity::all::CreateMessage::new()
        .content(
            "Discord did not take zoombot's answer to your last command in time, so nothing was done. Please run \
             it again.",
        )
        .allowed_mentions(no_mentions())
}

/// The answer to a command, option or button this version of the bot does not know.
pub const OUTDATED: &str = "That command is outdated or unknown to this version of the bot. Discord may take a \
                            moment to show the current commands; try again shortly.";

/// The answer to a command sent outside a server.
pub const OUTSIDE_A_SERVER: &str = "zoombot's commands work in a server, not in direct messages.";

/// The answer to an interaction whose options this version cannot read (their types changed).
pub const UNREADABLE: &str = "That command is outdated: Discord sent it in a shape this version of the bot can't \
                              read, so nothing was done. Discord may take a minute to show the current commands; \
                              try again in a minute.";

/// The answer to a submitted form: the bot shows none, so it is outdated or not the bot's.
pub const UNKNOWN_FORM: &str = "That form is outdated or not one this bot handles, so nothing was done. Run the \
                                command again.";

/// The answer to a `meeting` value that is no meeting ID at all (typed rather than picked).
pub fn not_a_meeting(typed: &str) -> EditInteractionResponse {
    private(format!(
        "\"{}\" is not a meeting ID. Pick one of this server's upcoming meetings from the list the command \
         offers, or see /meetings list.",
        shown(&clean(typed))
    ))
}

/// A private answer as the interaction's first response.
pub fn private_message(text: &str) -> CreateInteractionResponse {
    let message = CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    CreateInteractionResponse::Message(message)
}

/// A private text reply (the original response was deferred ephemerally).
pub fn private(text: String) -> EditInteractionResponse {
    EditInteractionResponse::new()
        .content(text)
        .allowed_mentions(no_mentions())
}

pub use errors::{error_text, refusal, wrong_kind};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_shown_literally_not_as_markdown() {
        assert_eq!(
            markdown("[x](https://e.vil) **b** <@1> a_b"),
            "\\[x\\]\\(https://e.vil\\) \\*\\*b\\*\\* \\<@1\\> a\\_b"
        );
        assert_eq!(markdown("Weekly sync"), "Weekly sync");
        assert_eq!(
            markdown("# Big\n -# small\n- item a-b #1"),
            "\\# Big\n \\-# small\n\\- item a-b #1"
        );
    }

    #[test]
    fn meeting_ids_are_spaced_as_zoom_writes_them() {
        assert_eq!(spaced_id(85_746_065_432), "857 4606 5432");
        assert_eq!(spaced_id(123_456_789), "123 456 789");
    }
}
