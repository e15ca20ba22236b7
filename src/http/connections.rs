//! The accept loop: every connection gets a header-read deadline, and there are never more than
//! a limit of them, sized from the open-file limit so strangers' idle connections cannot take the
//! descriptors the store and the bot's own connections to Discord and Zoom need.
//!
//! At the limit a new connection does not wait and is not refused: it takes the place of the
//! oldest connection with no request in progress. Idle connections are what a flood is made of,
//! and a health probe sends its request at once, so the probe gets in while the flood churns
//! through itself. Only when every connection is answering a request is the new one shed.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

/// How long a client has to send a request's headers, from when the connection opens or its
/// previous response was sent. hyper starts this clock whenever a connection waits for a request,
/// so it is also how long an idle keep-alive connection is kept.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections served at once, however high the open-file limit.
pub const MAX_CONNECTIONS: usize = 512;

/// How long, at shutdown, a connection may take to finish its request.
const CONNECTION_DRAIN: Duration = Duration::from_secs(3);

/// How long accepting pauses after an error that is not one connection's (out of descriptors):
/// retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The connection limit for a soft open-file limit of `soft` (`None`: unlimited): half of it,
/// the other half left to the store's files and the bot's own connections, at most
/// [`MAX_CONNECTIONS`].
pub fn connection_limit(soft: Option<u64>) -> usize {
    soft.map_or(MAX_CONNECTIONS, |soft| {
        usize::try_from(soft / 2).map_or(MAX_CONNECTIONS, |half| half.clamp(1, MAX_CONNECTIONS))
    })
}

/// Serves `router` on `listener` until `shutdown` completes, then lets each connection finish
/// its request (bounded) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limit: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let live = Arc::new(Live::new(limit));
    let (stop, stopping) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    if !is_one_connections(&err) {
                        tracing::warn!(error = %err, "the HTTP server cannot accept connections");
                        tokio::select! {
                            () = &mut shutdown => break,
                            () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                        }
                    }
                    continue;
                }
            },
        };
        let slot = loop {
            match live.admit() {
                Admission::Admitted(slot) => break Some(slot),
                Admission::Busy => break None,
                // Evicted connections are still closing: wait (bounded) for one to end rather
                // than open more descriptors; the kernel keeps the next ones queued meanwhile.
                Admission::Closing => {
                    let closed = live.closed.notified();
                    let _ = tokio::time::timeout(ACCEPT_BACKOFF, closed).await;
                }
            }
        };
        let Some(slot) = slot else {
            tracing::debug!(limit, "HTTP connection shed: every connection is busy");
            continue;
        };
        tokio::spawn(connection(stream, router.clone(), slot, stopping.clone()));
    }
    drop(listener);
    drop(stopping);
    // Wakes every connection; `closed` completes once the last one has dropped its receiver.
    stop.send_replace(());
    stop.closed().await;
    Ok(())
}

/// An accept error that concerns only the connection being accepted.
fn is_one_connections(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
    matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    )
}

async fn connection(
    stream: TcpStream,
    router: Router,
    slot: Slot,
    mut stopping: watch::Receiver<()>,
) {
    let this = Arc::clone(&slot.conn);
    let inner = TowerToHyperService::new(router);
    let service = service_fn(move |request| {
        let busy = Busy::new(Arc::clone(&this));
        let response = inner.call(request);
        async move {
            let response = response.await;
            drop(busy);
            response
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        // A timed-out or broken connection is the client's business, not the log's.
        _ = conn.as_mut() => return,
        // Dropping the connection closes it: it had no request in progress.
        () = slot.conn.evicted.notified() => return,
        _ = stopping.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(CONNECTION_DRAIN, conn).await;
}

/// The connections being served, oldest first.
struct Live {
    limit: usize,
    state: Mutex<LiveState>,
    /// Told when a connection task ends.
    closed: Notify,
}

/// What [`Live::admit`] can do for a new connection.
enum Admission {
    /// A place, free or an idle connection's.
    Admitted(Slot),
    /// Every connection is answering a request: shed the new one.
    Busy,
    /// Too many evicted connections are still closing: try again once one has.
    Closing,
}

#[derive(Default)]
struct LiveState {
    next: u64,
    conns: BTreeMap<u64, Arc<Conn>>,
    /// Connection tasks not yet ended: `conns` plus those evicted whose socket is still open
    /// until their task runs. Bounded, so a flood of evictions cannot run out of descriptors.
    open: usize,
}

/// How many evicted connections may still be closing before new ones are shed instead.
const CLOSING_SLACK: usize = 16;

#[derive(Default)]
struct Conn {
    /// Requests being answered (more than one only if a client pipelines).
    in_flight: AtomicUsize,
    /// Told to close because a newer connection took its place.
    evicted: Notify,
}

impl Live {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            state: Mutex::default(),
            closed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, LiveState> {
        // Every change under the lock is one map operation: a panic cannot leave it half done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a new connection: a free one, or the oldest idle connection's.
    fn admit(self: &Arc<Self>) -> Admission {
        let mut state = self.lock();
        if state.open >= self.limit + CLOSING_SLACK {
            return Admission::Closing;
        }
        if state.conns.len() >= self.limit {
            let Some(idle) = state
                .conns
                .iter()
                .find(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
                .map(|(id, _)| *id)
            else {
                return Admission::Busy;
            };
            if let Some(victim) = state.conns.remove(&idle) {
                // notify_one keeps the wake-up for a connection task that has not yet waited.
                victim.evicted.notify_one();
                tracing::debug!(
                    limit = self.limit,
                    "HTTP connection limit: closed the oldest idle"
                );
            }
        }
        let id = state.next;
        state.next += 1;
        state.open += 1;
        let conn = Arc::new(Conn::default());
        state.conns.insert(id, Arc::clone(&conn));
        Admission::Admitted(Slot {
            live: Arc::clone(self),
            id,
            conn,
        })
    }
}

/// One connection's place in [`Live`], given back when the connection ends.
struct Slot {
    live: Arc<Live>,
    id: u64,
    conn: Arc<Conn>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.live.lock();
        state.conns.remove(&self.id);
        state.open -= 1;
        drop(state);
        self.live.closed.notify_one();
    }
}

/// A request in progress on a connection, which keeps it from being evicted.
struct Busy(Arc<Conn>);

impl Busy {
    fn new(conn: Arc<Conn>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Live {
        fn slot(self: &Arc<Self>) -> Slot {
            match self.admit() {
                Admission::Admitted(slot) => slot,
                _ => panic!("not admitted"),
            }
        }
    }

    #[test]
    fn the_limit_is_half_the_open_file_limit_at_most_max_connections() {
        assert_eq!(connection_limit(Some(256)), 128);
        assert_eq!(connection_limit(Some(1024)), MAX_CONNECTIONS);
        assert_eq!(connection_limit(Some(1_048_576)), MAX_CONNECTIONS);
        assert_eq!(connection_limit(None), MAX_CONNECTIONS);
        assert_eq!(connection_limit(Some(1)), 1);
    }

    #[test]
    fn evicted_connections_still_closing_count_until_they_end() {
        let live = Arc::new(Live::new(2));
        // Each admission past the limit evicts one whose task has not run yet: its socket is
        // still open, so only CLOSING_SLACK of them may pile up before new ones are shed.
        let slots: Vec<Slot> = (0..2 + CLOSING_SLACK).map(|_| live.slot()).collect();
        assert!(matches!(live.admit(), Admission::Closing));
        drop(slots);
        assert_eq!(live.lock().open, 0);
        assert!(matches!(live.admit(), Admission::Admitted(_)));
    }

    #[test]
    fn at_the_limit_a_new_connection_takes_the_place_of_the_oldest_idle_one() {
        let live = Arc::new(Live::new(2));
        let oldest = live.slot();
        let busy_one = live.slot();
        let _busy = Busy::new(Arc::clone(&busy_one.conn));
        let third = live.slot();

        assert_eq!(live.lock().conns.len(), 2);
        assert!(!live.lock().conns.contains_key(&oldest.id));
        assert!(live.lock().conns.contains_key(&busy_one.id));
        // The eviction is waiting for the oldest connection's task.
        let woken = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(1), oldest.conn.evicted.notified())
                    .await
                    .is_ok()
            });
        assert!(woken);
        drop(third);
        assert_eq!(live.lock().conns.len(), 1);
    }

    #[test]
    fn when_every_connection_is_answering_a_request_a_new_one_is_shed() {
        let live = Arc::new(Live::new(1));
        let only = live.slot();
        let busy = Busy::new(Arc::clone(&only.conn));

        assert!(matches!(live.admit(), Admission::Busy));
        drop(busy);
        assert!(matches!(live.admit(), Admission::Admitted(_)));
    }
}
