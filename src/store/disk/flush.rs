//! The group commit behind `Store::flush`.
//!
//! Not sled's `flush_async`: in 0.34 concurrent calls can hang for good (spacejam/sled#1308 —
//! the flushes fill sled's I/O thread pool and wait for writes queued behind them). Flushes run
//! one at a time on tokio's blocking pool instead, and each covers every caller that wrote
//! before it began (a group commit), so a burst of writes costs a few flushes, not one each.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Flushes a sled database, one flush at a time, each covering every caller that wrote before it.
#[derive(Debug, Default)]
pub(super) struct Flusher {
    /// One per `flush` call, taken after the caller's writes.
    tickets: AtomicU64,
    /// Held by the flush in progress; the highest ticket a finished flush covered.
    covered: Arc<tokio::sync::Mutex<u64>>,
}

impl Flusher {
    /// Makes every write to `db` made before this call durable.
    pub(super) async fn flush(&self, db: &sled::Db) -> Result<(), sled::Error> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let mut covered = Arc::clone(&self.covered).lock_owned().await;
        if *covered >= ticket {
            // A flush that began after our writes finished while we waited.
            return Ok(());
        }
        // Every ticket taken so far was taken after its writes, all done before this flush.
        let upto = self.tickets.load(Ordering::SeqCst);
        let db = db.clone();
        // The lock goes with the flush: when this caller stops waiting (a timeout, a dropped
        // request), the next flush still waits for this one, so flushes never overlap.
        tokio::task::spawn_blocking(move || {
            db.flush()?;
            *covered = upto;
            Ok(())
        })
        .await
        .map_err(|e| sled::Error::Io(std::io::Error::other(format!("flush: {e}"))))?
    }
}
