//! The router's part in keeping interactions until answered: writing one down after its
//! acknowledgement, and finishing one a process that died left unfinished.

use serenity::all::{CommandInteraction, CreateInteractionResponse, Interaction};

use super::{Ack, Router};
use crate::discord::rest::{Rest, Target};
use crate::discord::telemetry;
use crate::meetings::unfinished::TakenOver;

impl Router {
    /// Finishes an interaction a process that died left unfinished ([`Meetings::take_over`]):
    /// acknowledged already, answered through `rest` as that process would have.
    pub async fn finish_for_the_dead(&self, rest: &Rest, taken: &TakenOver) {
        match serde_json::from_slice::<Interaction>(&taken.raw) {
            Ok(interaction) => {
                let name = telemetry::command_name(&interaction);
                self.metrics.interactions_taken_over.inc(&[&name]);
                tracing::info!(interaction_id = taken.id, command = %name, "finishing an interaction a process that stopped had taken up");
                let acknowledged = Acknowledged;
                self.dispatch(rest, &acknowledged, &interaction, Some(taken.since))
                    .await;
            }
            Err(err) => {
                tracing::warn!(interaction_id = taken.id, error = %err, "an interaction left unfinished cannot be read; dropped");
            }
        }
        self.service.finished(taken.id).await;
    }

    /// Keeps `command` in the store until answered. Should that fail, the member is still
    /// served: only a crash before the answer would lose it then.
    pub(super) async fn keep(&self, command: &CommandInteraction, at: jiff::Timestamp) {
        // serenity writes an interaction without its `type`, which reading it back needs.
        let raw = serde_json::to_value(command).and_then(|mut value| {
            value["type"] = u8::from(serenity::all::InteractionType::Command).into();
            serde_json::to_vec(&value)
        });
        let kept = match raw {
            Ok(raw) => self.service.hold(command.id.get(), &raw, at).await,
            Err(err) => {
                tracing::warn!(error = %err, "could not write the interaction down");
                return;
            }
        };
        if let Err(err) = kept {
            tracing::warn!(error = %err, "could not keep the interaction until it is answered");
        }
    }
}

/// The first response of an interaction taken over: the process that died sent it.
struct Acknowledged;

#[serenity::async_trait]
impl Ack for Acknowledged {
    async fn acknowledge(
        &self,
        _: &Target<'_>,
        _: CreateInteractionResponse,
    ) -> serenity::Result<()> {
        Ok(())
    }
}
