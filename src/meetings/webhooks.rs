//! Zoom's webhook events, received: written to the store's inbox before Zoom hears "200", then
//! applied once each by a worker.

use async_trait::async_trait;

use super::ServiceError;
use crate::zoom::webhook::WebhookEvent;

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// New: it is in the inbox (durable) and will be applied.
    New,
    /// The same event was received before (Zoom retries and sends duplicates): nothing to do.
    Duplicate,
    /// Not for this bot (an event type it does not act on, or a meeting it did not create).
    Ignored,
}

/// Where verified webhook events go. The HTTP endpoint answers Zoom's 200 only after
/// [`Inbox::receive`] returned: an event Zoom was told is received is never lost.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// Keeps `event` durably unless it was received before; `raw` is its body as Zoom sent it.
    async fn receive(&self, event: &WebhookEvent, raw: &[u8]) -> Result<Received, ServiceError>;
}
