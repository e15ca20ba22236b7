//! Interactions serenity cannot read. An `INTERACTION_CREATE` whose payload does not fit
//! serenity's model (an option value of another type than the option declares, as after a
//! command changed shape while Discord still shows the old one) falls through serde to
//! `Event::Unknown`: no `EventHandler` method sees it, so without this the member's command
//! spins until Discord gives up. Only the raw id and token are needed to answer.

use std::sync::Arc;

use serde_json::Value;
use serenity::all::{
    Builder, Context, CreateAutocompleteResponse, CreateInteractionResponse, Event, Interaction,
    InteractionId, RawEventHandler,
};

use super::reply;
use super::rest::Rest;
use super::tracking::Intake;
use crate::metrics::Metrics;

/// Answers the interactions serenity could not parse.
pub struct Unreadable {
    /// Shared with the event handler, so a redelivered interaction is answered once either way
    /// and shutdown waits for these answers too.
    pub intake: Intake,
    /// Where failed answers are counted.
    pub metrics: Arc<Metrics>,
}

/// The parts of an interaction payload needed to answer it.
#[derive(Debug, PartialEq, Eq)]
struct Raw<'a> {
    id: InteractionId,
    token: &'a str,
    kind: u64,
}

fn raw(payload: &Value) -> Option<Raw<'_>> {
    let id = payload["id"]
        .as_str()?
        .parse::<u64>()
        .ok()
        .filter(|id| *id != 0)?;
    Some(Raw {
        id: InteractionId::new(id),
        token: payload["token"].as_str().filter(|t| !t.is_empty())?,
        kind: payload["type"].as_u64()?,
    })
}

/// The answer Discord accepts for an interaction of `kind`: an autocomplete takes only choices.
pub(super) fn answer_for(kind: u64) -> Option<CreateInteractionResponse> {
    match kind {
        // A PING comes only to the HTTP endpoint, which answers it itself.
        1 => None,
        4 => Some(CreateInteractionResponse::Autocomplete(
            CreateAutocompleteResponse::new(),
        )),
        _ => Some(reply::private_message(reply::UNREADABLE)),
    }
}

#[serenity::async_trait]
impl RawEventHandler for Unreadable {
    async fn raw_event(&self, ctx: Context, event: Event) {
        let Event::Unknown(event) = event else {
            return;
        };
        // Lower case: an upper-case literal reads as an environment variable to the README check.
        if !event.kind.eq_ignore_ascii_case("interaction_create") {
            return;
        }
        let Some(raw) = raw(&event.value) else {
            tracing::warn!("an interaction without an id or token could not be read");
            return;
        };
        let Some(_guard) = self.intake.admit(raw.id.get()).await else {
            return;
        };
        // serde drops the reason when it falls back to `Unknown`: ask again to log it.
        let why = serde_json::from_value::<Interaction>(event.value.clone())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        tracing::warn!(interaction_id = %raw.id, kind = raw.kind, error = %why, "an interaction serenity could not read");
        let Some(answer) = answer_for(raw.kind) else {
            return;
        };
        let rest = Rest::new(Arc::clone(&ctx.http), Arc::clone(&self.metrics));
        let sent = rest
            .patiently(|| answer.clone().execute(&rest.http, (raw.id, raw.token)))
            .await;
        if let Err(err) = sent {
            tracing::debug!(error = %err, "the answer to an unreadable interaction was not delivered");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_unreadable_payload_still_gives_its_id_token_and_kind() {
        let payload = json!({"id": "17", "token": "tok", "type": 2, "data": {"options": 3}});
        assert_eq!(
            raw(&payload),
            Some(Raw {
                id: InteractionId::new(17),
                token: "tok",
                kind: 2
            })
        );
        assert_eq!(raw(&json!({"id": "0", "token": "tok", "type": 2})), None);
        assert_eq!(raw(&json!({"id": "17", "type": 2})), None);
    }
}
