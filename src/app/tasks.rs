//! The tasks that run beside the intake of interactions, whichever it is: forgetting old
//! meetings, posting reminders, and showing Zoom's webhook events in Discord (through REST, so the
//! same in both modes).

use std::sync::Arc;
use std::time::Duration;

use serenity::all::Http;

use super::AbortOnDrop;
use crate::discord;
use crate::meetings::{Meetings, unfinished};
use crate::metrics::Metrics;

/// How often records of meetings past their retention are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
/// How often expired cooldown slots, interactions seen and leases are forgotten: interaction ids
/// are kept 15 minutes, so this bounds the replay guard to about half an hour of them.
const FORGET_TRANSIENT_EVERY: Duration = Duration::from_secs(15 * 60);

/// Forgets meetings past their retention at start and every [`PRUNE_EVERY`], and what the
/// store's coordination no longer needs every [`FORGET_TRANSIENT_EVERY`].
pub(super) async fn prune_forever(service: Arc<Meetings>) -> std::io::Result<()> {
    let mut records = tokio::time::interval(PRUNE_EVERY);
    let mut transient = tokio::time::interval(FORGET_TRANSIENT_EVERY);
    loop {
        tokio::select! {
            _ = records.tick() => match service.prune().await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "forgot meetings past their retention"),
                Err(err) => tracing::warn!(error = %err, "could not prune old meeting records"),
            },
            _ = transient.tick() => {
                if let Err(err) = service.forget_transient().await {
                    tracing::warn!(error = %err, "could not forget expired cooldowns, deliveries and leases");
                }
            }
        }
    }
}

/// Tells members about their linked accounts, posts reminders, applies Zoom's webhook events
/// and finishes what processes that died left unfinished, all through `http` (stopped when
/// dropped).
pub(super) fn discord_tasks(
    service: &Arc<Meetings>,
    http: &Arc<Http>,
    metrics: &Arc<Metrics>,
) -> [AbortOnDrop; 3] {
    let rest = || discord::rest::Rest::new(Arc::clone(http), Arc::clone(metrics));
    if let Some(accounts) = service.accounts() {
        accounts.set_notice(Arc::new(discord::zoom::DiscordLinkNotice(rest())));
    }
    let herald = Arc::new(discord::announce::DiscordHerald::new(rest()));
    let teller = Arc::new(discord::effects::DiscordTeller(rest()));
    let webhooks = AbortOnDrop(tokio::spawn({
        let (service, metrics) = (Arc::clone(service), Arc::clone(metrics));
        async move {
            service
                .run_webhooks(teller, |pass| {
                    metrics
                        .webhook_inbox
                        .set(i64::try_from(pass.waiting()).unwrap_or(i64::MAX));
                    for (event, since) in &pass.applied {
                        // The label set stays bounded: the known types, or "other".
                        let event = crate::meetings::webhooks::KNOWN
                            .iter()
                            .find(|k| *k == event)
                            .copied()
                            .unwrap_or("other");
                        metrics.webhooks_applied.inc(&[event]);
                        let since = std::time::Duration::try_from(*since).unwrap_or_default();
                        metrics.webhook_seconds.observe(&[event], since);
                    }
                })
                .await;
            Ok(())
        }
    }));
    let reminders = AbortOnDrop(tokio::spawn(remind_forever(
        Arc::clone(service),
        herald,
        Arc::clone(metrics),
    )));
    let taking_over = AbortOnDrop(tokio::spawn(take_over_forever(
        Arc::clone(service),
        rest(),
        Arc::clone(metrics),
    )));
    [reminders, webhooks, taking_over]
}

/// Every [`unfinished::LOOK_EVERY`]: renews this process's heartbeat and finishes, each on a
/// task of its own, the interactions processes that died left unfinished.
async fn take_over_forever(
    service: Arc<Meetings>,
    rest: discord::rest::Rest,
    metrics: Arc<Metrics>,
) -> std::io::Result<()> {
    let router = Arc::new(discord::router::Router::new(Arc::clone(&service), metrics));
    let mut look = tokio::time::interval(unfinished::LOOK_EVERY);
    loop {
        look.tick().await;
        let taken = match service.take_over().await {
            Ok(taken) => taken,
            Err(err) => {
                tracing::warn!(error = %err, "could not look for interactions left unfinished");
                continue;
            }
        };
        for left in taken {
            let (router, rest) = (Arc::clone(&router), rest.clone());
            tokio::spawn(async move { router.finish_for_the_dead(&rest, &left).await });
        }
    }
}

/// Posts reminders as they fall due (see `meetings::lifecycle`), counting them in `metrics`.
async fn remind_forever(
    service: Arc<Meetings>,
    herald: Arc<discord::announce::DiscordHerald>,
    metrics: Arc<Metrics>,
) -> std::io::Result<()> {
    service
        .run_reminders(herald, |pass| {
            // Late ones were posted too: `posted` counts every reminder that reached Discord.
            for (outcome, n) in [
                ("posted", pass.posted),
                ("late", pass.late),
                ("dropped", pass.dropped),
            ] {
                if n > 0 {
                    metrics.reminders.inc_by(&[outcome], n as u64);
                }
            }
        })
        .await;
    Ok(())
}
